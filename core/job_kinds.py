"""Job kinds: which task runs each kind, named by dotted path (as RQ names its functions).

The job engine (core/jobs.py) resolves a kind's task here when it runs one, importing only
that task's module: the engine never imports the services, so services can import the
engine at module level without a cycle, and running an outline job does not load the
exporters. This module imports nothing of the project but `core.auth`; keep it that way.

A new kind is one line in KINDS. Tests (and plugins) can also register a function
directly with `core.jobs.task(kind)`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from core.auth import Can


@dataclass(frozen=True)
class JobKind:
    # "package.module:function"; the function takes a JobContext and returns a dict or None.
    task: str
    # issue 9: what starting a job of this kind needs.
    needs: Can = Can.generate
    # A kind that never calls a model: no spending-cap check when it starts.
    free: bool = False


KINDS: dict[str, JobKind] = {
    "outline": JobKind("core.services.generation:run_outline"),
    "lessons": JobKind("core.services.generation:run_lessons"),
    "slides": JobKind("core.services.generation:run_slides"),
    "course": JobKind("core.services.generation:run_course"),
    "regenerate": JobKind("core.services.part_regen:run_regenerate"),  # whole nodes and parts
    "export": JobKind("core.services.exports:run_export", free=True),
    "eval": JobKind("core.services.evals:run_eval_job", needs=Can.prompts),
    "playground": JobKind("core.services.prompt_lab:run_playground", needs=Can.run_prompts),
    "video": JobKind("core.services.video:run_video"),  # issue-14
}


def resolve(path: str) -> object:
    """The object a "module:attribute" path names (ImportError/AttributeError when it is wrong)."""
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"task path {path!r} is not of the form 'package.module:function'")
    return getattr(importlib.import_module(module_name), attr)
