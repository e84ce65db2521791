"""One direction of dependency under core/ (issue 11).

Every import of a core module by a core module counts, module-level and function-local
alike: a cycle through an import hidden in a function is still a cycle (it only moves the
failure to run time), and hiding it is what the issue set out to undo. Function-local
imports stay allowed where they only delay loading (optional tools, the command line's
subcommands); they just may not close a loop. Imports under `if TYPE_CHECKING:` do not run
and are not counted.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from core.job_kinds import KINDS, resolve

ROOT = Path(__file__).resolve().parents[2]


def _core_modules() -> dict[str, Path]:
    modules = {}
    for path in sorted((ROOT / "core").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _imported(name: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    if node.level:
        base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
        module = f"{base}.{node.module}" if node.module else base
    else:
        module = node.module or ""
    # `from core.services import courses` imports the submodule courses.
    return [module, *(f"{module}.{alias.name}" for alias in node.names)]


def _is_type_checking(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def import_graph() -> dict[str, set[str]]:
    """core module -> the core modules it imports anywhere in its body."""
    modules = _core_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}

    def visit(name: str, path: Path, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if _is_type_checking(child):
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                graph[name].update(t for t in _imported(name, path, child) if t in modules and t != name)
            visit(name, path, child)

    for name, path in modules.items():
        visit(name, path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return graph


def test_the_graph_sees_imports_at_every_depth() -> None:
    graph = import_graph()
    # module level, relative-free `from package import submodule`
    assert "core.services.courses" in graph["core.services.generation"]
    # inside a function (the command line loads its subcommands lazily)
    assert "core.backup" in graph["core.__main__"]
    assert len(graph) > 50


def test_no_module_under_core_is_in_an_import_cycle() -> None:
    try:
        order = list(TopologicalSorter(import_graph()).static_order())
    except CycleError as exc:
        raise AssertionError(f"import cycle among core modules: {' -> '.join(exc.args[1])}") from exc
    assert "core.jobs" in order


def test_the_job_engine_imports_no_service() -> None:
    graph = import_graph()
    for engine in ("core.jobs", "core.job_kinds"):
        assert not {m for m in graph[engine] if m.startswith(("core.services", "core.exporters"))}, engine


def test_every_job_kind_names_a_task_function() -> None:
    from core.services import evals, exports, generation, prompt_lab, video

    constants = {
        value
        for module in (evals, exports, generation, prompt_lab, video)
        for key, value in vars(module).items()
        if key.startswith("KIND_") and isinstance(value, str)
    }
    assert constants <= set(KINDS), constants - set(KINDS)
    for kind, entry in KINDS.items():
        assert callable(resolve(entry.task)), kind


_RUN_ONE_JOB = """
import json, sys
from core.db import migrate, session_scope
migrate(sys.argv[1])
from core.auth import local_actor
from core.jobs import create_job, execute
from core.schemas import CourseParams
from core.services.courses import create_course

params = CourseParams(topic="Imports", module_count=1, lessons_per_module=1, total_duration_minutes=20)
with session_scope() as session:
    course_id = create_course(session, actor=local_actor(), params=params).id
    job_id = create_job(session, kind="outline", course_id=course_id).id
status = execute(job_id)
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def test_running_a_generation_job_loads_no_exporter(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    env = {"PATH": "/usr/bin:/bin", "APP_ENV": "test", "DATABASE_URL": url, "FILES_DIR": str(tmp_path)}
    out = subprocess.run(
        [sys.executable, "-c", _RUN_ONE_JOB, url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["status"] == "succeeded"
    modules = set(seen["modules"])
    assert "core.services.generation" in modules  # the probe did run the outline task
    loaded = sorted(m for m in modules if m.startswith(("core.exporters", "pptx", "core.services.video")))
    assert loaded == [], loaded


def test_importing_the_job_engine_loads_no_task_module() -> None:
    code = "import json, sys, core.jobs; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    modules = json.loads(out.stdout)
    assert not [m for m in modules if m.startswith(("core.services", "core.exporters"))]


def test_a_kind_whose_task_cannot_be_loaded_fails_its_job_and_the_worker_start(db: str, monkeypatch) -> None:
    from core import jobs
    from core.db import id_of, unit_of_work
    from core.job_kinds import JobKind
    from core.models import JobStatus

    monkeypatch.setitem(KINDS, "misnamed", JobKind("core.services.no_such_module:run"))
    with pytest.raises(ModuleNotFoundError):
        jobs.load_all_tasks()  # what the worker runs before it takes jobs
    with unit_of_work() as session:
        job_id = id_of(jobs.create_job(session, kind="misnamed"))
    assert jobs.execute(job_id) == JobStatus.failed
    with unit_of_work() as session:
        job = jobs.get_job(session, job_id)
        assert job.error_code == "E.INTERNAL"
        assert "core.services.no_such_module" in (job.error_detail or "")
