"""The prompt workbench: mirror versions in the database, save edits as new versions, move
labels (recorded, reversible), and run prompts in the playground as jobs.

A saved version is immutable: its file is created exclusively (never overwritten) with its
checksum recorded, and its canonical content is mirrored in prompt_versions so a worker on
another machine runs exactly the same text.
"""

from __future__ import annotations

import difflib
import json
import time
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from core.auth import Actor, Can, require
from core.db import session_scope
from core.errors import AppError, Code, InvalidInput
from core.jobs import JobContext, start_job
from core.llm.gateway import CallContext, generate
from core.llm.providers import get_provider
from core.models import Job, PromptLabel, PromptLabelEvent, PromptVersion, utcnow
from core.prompt_variables import outline_variables
from core.prompts import (
    LABELS,
    PromptRegistry,
    PromptSpec,
    get_registry,
    get_spec,
    is_version,
    parse_prompt,
    prompt_to_yaml,
    prompts_root,
    reset_registry,
    version_key,
)
from core.schemas import CourseParams, Outline, outline_problems
from core.services import courses as course_svc
from core.services.golden import load_golden
from core.settings import get_settings
from core.templating import template_problems

KIND_PLAYGROUND = "playground"
EDIT_SUFFIX = "+edit"


# ---------------------------------------------------------------- mirror


def sync_versions(session: Session, registry: PromptRegistry | None = None) -> int:
    """Mirror every file version into prompt_versions; returns how many rows were added.

    A version already mirrored with another checksum means its file was rewritten after it
    was published: that is refused, because artifacts already name that version.
    """
    registry = registry or get_registry()
    rows = {(r.prompt_id, r.version): r for r in session.exec(select(PromptVersion))}
    added = 0
    for key, spec in sorted(registry.specs.items()):
        row = rows.get(key)
        if row is None:
            session.add(_row_for(spec))
            added += 1
        elif row.checksum != spec.checksum:
            raise AppError(
                Code.PROMPT_INVALID,
                f"{spec.path}: version {spec.version} of {spec.prompt_id} was published with checksum "
                f"{row.checksum} but the file now has {spec.checksum}; save a new version instead",
            )
    session.flush()
    return added


def _row_for(spec: PromptSpec) -> PromptVersion:
    return PromptVersion(
        prompt_id=spec.prompt_id,
        version=spec.version,
        checksum=spec.checksum,
        owner=spec.owner,
        changelog=spec.changelog,
        schema_name=spec.schema_name,
        defaults=dict(spec.defaults),
        body=spec.canonical(),
    )


@dataclass
class VersionInfo:
    prompt_id: str
    version: str
    checksum: str
    owner: str
    changelog: str
    labels: list[str]
    in_files: bool


def list_versions(
    session: Session, prompt_id: str, registry: PromptRegistry | None = None
) -> list[VersionInfo]:
    """Every version of a prompt, from the files and the mirror, oldest first, with labels."""
    registry = registry or get_registry()
    labels = current_labels(session, prompt_id, registry)
    found: dict[str, VersionInfo] = {}
    for row in session.exec(select(PromptVersion).where(PromptVersion.prompt_id == prompt_id)):
        found[row.version] = VersionInfo(
            prompt_id, row.version, row.checksum, row.owner, row.changelog, [], False
        )
    for spec in registry.versions(prompt_id):
        found[spec.version] = VersionInfo(
            prompt_id, spec.version, spec.checksum, spec.owner, spec.changelog, [], True
        )
    for label, version in labels.items():
        if version in found:
            found[version].labels.append(label)
    return [found[v] for v in sorted(found, key=version_key)]


# ---------------------------------------------------------------- saving versions


def next_version(session: Session, prompt_id: str, registry: PromptRegistry | None = None) -> str:
    """A suggestion for the next version number: the newest one with its minor bumped."""
    versions = [v.version for v in list_versions(session, prompt_id, registry)]
    if not versions:
        return "1.0.0"
    major, minor, *_ = (int(p) for p in versions[-1].split("+")[0].split("-")[0].split("."))
    return f"{major}.{minor + 1}.0"


def save_version(
    session: Session,
    *,
    actor: Actor,
    prompt_id: str,
    base_version: str,
    version: str,
    owner: str,
    changelog: str,
    template: str,
    system: str | None = None,
    defaults: dict[str, Any] | None = None,
    registry: PromptRegistry | None = None,
) -> PromptSpec:
    """Save an edit of `base_version` as a new version: file (exclusive create) plus mirror.

    The caller owns the transaction; the row is flushed before the file is written so a
    concurrent save of the same number fails on the unique key before touching disk.
    """
    require(actor, Can.prompts)
    registry = registry or get_registry()
    problems = []
    if not owner.strip():
        problems.append("owner is required")
    if not changelog.strip():
        problems.append("changelog is required")
    if not is_version(version) or "+" in version:
        problems.append(f"version {version!r} is not a semantic version like 1.2.0")
    if problems:
        raise AppError(Code.VALIDATION, "; ".join(problems), details=problems)
    base = get_spec(prompt_id, base_version, registry)
    existing = session.exec(
        select(PromptVersion).where(PromptVersion.prompt_id == prompt_id, PromptVersion.version == version)
    ).first()
    path = registry.root / prompt_id / f"{version}.yaml"
    if registry.has(prompt_id, version) or existing is not None or path.exists():
        raise AppError(
            Code.VALIDATION,
            f"version {version} of {prompt_id} already exists; versions are never overwritten, "
            "pick a new number",
        )
    spec = parse_prompt(
        {
            "id": prompt_id,
            "version": version,
            "owner": owner.strip(),
            "changelog": changelog.strip(),
            "schema": base.schema_name,
            "model": dict(defaults if defaults is not None else base.defaults),
            "variables": list(base.variables),
            "system": base.system if system is None else system,
            "template": template,
        },
        path,
    )
    session.add(_row_for(spec))
    session.flush()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as fh:  # "x": fail rather than overwrite
            fh.write(prompt_to_yaml(spec))
    except FileExistsError:
        raise AppError(Code.VALIDATION, f"{path} appeared meanwhile; pick a new number") from None
    if registry.root.resolve() == prompts_root().resolve():
        reset_registry()  # the cached registry must now see the new file
    return spec


def template_refusals(template: str, system: str | None = None) -> list[str]:
    """Why the sandbox refuses a draft, one line per problem ("template refused: line 3: ...");
    empty when it is safe. The playground shows this next to the editor while typing;
    save_version and playground runs refuse such a draft through parse_prompt."""
    out = [r.message("template") for r in template_problems(template)]
    if system is not None:
        out += [r.message("system") for r in template_problems(system)]
    return out


def version_file(prompt_id: str, version: str, registry: PromptRegistry | None = None) -> tuple[str, str]:
    """(file name, file text) of a version, for downloading into the repository."""
    spec = get_spec(prompt_id, version, registry)
    return f"{prompt_id}-{version}.yaml", prompt_to_yaml(spec)


# ---------------------------------------------------------------- labels


def current_labels(
    session: Session, prompt_id: str, registry: PromptRegistry | None = None
) -> dict[str, str]:
    """label -> version now in force: moves recorded in the database win over labels.yaml."""
    registry = registry or get_registry()
    labels = dict(registry.labels.get(prompt_id, {}))
    for row in session.exec(select(PromptLabel).where(PromptLabel.prompt_id == prompt_id)):
        labels[row.label] = row.version
    return labels


def move_label(
    session: Session,
    *,
    prompt_id: str,
    label: str,
    version: str,
    actor: Actor,
    registry: PromptRegistry | None = None,
) -> PromptLabelEvent:
    """Point a label at a version; the move is recorded with who and when."""
    require(actor, Can.prompts)
    registry = registry or get_registry()
    if label not in LABELS:
        raise AppError(Code.VALIDATION, f"unknown label {label!r}; labels are {', '.join(LABELS)}")
    moved_by = actor.label
    get_spec(prompt_id, version, registry)  # the target must exist (file or mirror)
    # Make sure the target is mirrored: a worker without the file must still find it.
    if not session.exec(
        select(PromptVersion).where(PromptVersion.prompt_id == prompt_id, PromptVersion.version == version)
    ).first():
        session.add(_row_for(get_spec(prompt_id, version, registry)))
    previous = current_labels(session, prompt_id, registry).get(label)
    now = utcnow()
    row = session.exec(
        select(PromptLabel).where(PromptLabel.prompt_id == prompt_id, PromptLabel.label == label)
    ).first()
    row = row or PromptLabel(prompt_id=prompt_id, label=label, version=version)
    row.version, row.moved_by, row.moved_at = version, moved_by.strip(), now
    session.add(row)
    event = PromptLabelEvent(
        prompt_id=prompt_id,
        label=label,
        from_version=previous,
        to_version=version,
        moved_by=moved_by.strip(),
        moved_at=now,
    )
    session.add(event)
    session.flush()
    return event


def label_history(session: Session, prompt_id: str) -> list[PromptLabelEvent]:
    """Every recorded label move of a prompt, newest first."""
    query = (
        select(PromptLabelEvent)
        .where(PromptLabelEvent.prompt_id == prompt_id)
        .order_by(col(PromptLabelEvent.id).desc())
    )
    return list(session.exec(query))


def rollback_label(
    session: Session,
    *,
    prompt_id: str,
    label: str,
    actor: Actor,
    registry: PromptRegistry | None = None,
) -> PromptLabelEvent:
    """Undo the latest move of a label (itself recorded as a move)."""
    require(actor, Can.prompts)
    last = next((e for e in label_history(session, prompt_id) if e.label == label), None)
    if last is None or last.from_version is None:
        raise AppError(Code.VALIDATION, f"label {label} of {prompt_id} has no earlier version to return to")
    return move_label(
        session,
        prompt_id=prompt_id,
        label=label,
        version=last.from_version,
        actor=actor,
        registry=registry,
    )


# ---------------------------------------------------------------- playground


@dataclass
class Variant:
    """One side of a playground run: a saved version, optionally with an unsaved edit."""

    name: str
    version: str
    template: str | None = None
    system: str | None = None


def variant_spec(prompt_id: str, variant: Variant, registry: PromptRegistry | None = None) -> PromptSpec:
    """The spec a variant runs: the saved version, or its edit validated like a file would be."""
    base = get_spec(prompt_id, variant.version, registry)
    template = base.template if variant.template is None else variant.template
    system = base.system if variant.system is None else variant.system
    if template == base.template and system == base.system:
        return base
    # The "+edit" build suffix keeps llm_calls honest: the checksum names the exact text.
    return parse_prompt(
        {
            "id": base.prompt_id,
            "version": base.version.split("+")[0] + EDIT_SUFFIX,
            "owner": base.owner,
            "changelog": "unsaved playground edit",
            "schema": base.schema_name,
            "model": dict(base.defaults),
            "variables": list(base.variables),
            "system": system,
            "template": template,
        }
    )


def start_playground(
    *,
    actor: Actor,
    prompt_id: str,
    variants: list[Variant],
    variables: dict[str, Any],
    model: str | None = None,
) -> Job:
    """Run one or two variants on the same variables, as a job; invalid edits fail here."""
    require(actor, Can.run_prompts)
    if not 1 <= len(variants) <= 2:
        raise AppError(Code.VALIDATION, "a playground run has one or two variants")
    if not isinstance(variables, dict):
        raise InvalidInput(
            "the variables must be a JSON object",
            [{"field": "variables", "message": "must be a JSON object", "type": "dict_type"}],
        )
    for variant in variants:
        spec = variant_spec(prompt_id, variant)
        missing = [v for v in spec.variables if v not in variables]
        if missing:
            raise InvalidInput(
                f"fill the variables: {', '.join(missing)}",
                [{"field": name, "message": "missing", "type": "missing"} for name in missing],
            )
    payload = {
        "prompt_id": prompt_id,
        "variants": [asdict(v) for v in variants],
        "variables": variables,
        "model": model,
    }
    return start_job(kind=KIND_PLAYGROUND, actor=actor, payload=payload)


def _check_for(spec: PromptSpec, variables: dict[str, Any]) -> Any:
    """The constraint check production applies to this schema, when the inputs allow it."""
    if spec.schema is not Outline:
        return None
    try:
        params = CourseParams.model_validate(
            {k: variables[k] for k in CourseParams.model_fields if k in variables}
        )
    except ValidationError:
        return None
    return lambda outline: outline_problems(outline, params)


def run_variant(
    *, prompt_id: str, variant: Variant, variables: dict[str, Any], model: str | None, job_id: int | None
) -> dict[str, Any]:
    """Run one variant and describe everything the playground shows about it."""

    spec = variant_spec(prompt_id, variant)
    messages = spec.render(variables)
    out: dict[str, Any] = {
        "name": variant.name,
        "prompt_version": spec.version,
        "checksum": spec.checksum,
        "edited": spec.version.endswith(EDIT_SUFFIX),
        "messages": messages,
    }
    started = time.perf_counter()
    try:
        gen = generate(
            provider=get_provider(),
            spec=spec,
            variables=variables,
            ctx=CallContext(step="playground", job_id=job_id, interactive=True),
            check=_check_for(spec, variables),
            # The model production uses for this step, unless the playground overrides it.
            model=model or spec.defaults.get("model") or get_settings().model_for(prompt_id),
        )
    except AppError as exc:
        # One side's provider error must not hide the other side of a comparison.
        out.update(ok=False, error_code=exc.code, problems=[exc.message], raw_text="", value=None)
        out.update(latency_ms=round((time.perf_counter() - started) * 1000, 1))
        return out
    out.update(
        ok=gen.ok,
        value=gen.value.model_dump(mode="json") if gen.ok else None,
        raw_text=gen.raw_text,
        error_code=gen.error_code,
        problems=gen.problems,
        remediated=gen.remediated,
        model=gen.model,
        input_tokens=gen.input_tokens,
        output_tokens=gen.output_tokens,
        cost_usd=round(gen.cost_usd, 6),
        latency_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return out


def run_playground(ctx: JobContext) -> dict[str, Any]:
    variants = [Variant(**v) for v in ctx.payload["variants"]]
    ctx.set_steps([(v.name, f"Run {v.name}") for v in variants])
    results = []
    for variant in variants:
        ctx.check_cancel()
        ctx.step(variant.name, "running")
        result = run_variant(
            prompt_id=ctx.payload["prompt_id"],
            variant=variant,
            variables=ctx.payload["variables"],
            model=ctx.payload.get("model"),
            job_id=ctx.job_id,
        )
        ctx.step(variant.name, "done" if result["ok"] else "draft", result.get("error_code") or "")
        results.append(result)
    return {"prompt_id": ctx.payload["prompt_id"], "variants": results}


def output_text(result: dict[str, Any]) -> str:
    """A variant's answer as stable text for diffing: pretty JSON when it parsed."""
    if result.get("value") is not None:
        return json.dumps(result["value"], indent=2, ensure_ascii=False)
    raw = str(result.get("raw_text") or "")
    try:
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except ValueError:
        return raw


def output_diff(a: dict[str, Any], b: dict[str, Any]) -> str:
    """A unified diff of two variants' answers (shown as code, never as HTML)."""
    lines = difflib.unified_diff(
        output_text(a).splitlines(),
        output_text(b).splitlines(),
        fromfile=f"{a.get('name')} {a.get('prompt_version')}",
        tofile=f"{b.get('name')} {b.get('prompt_version')}",
        lineterm="",
    )
    return "\n".join(lines)


# ---------------------------------------------------------------- sample variables


def variables_for(params: CourseParams, course_title: str | None = None) -> dict[str, Any]:
    """Sample variables for any step's prompt, built from course parameters.

    Steps after the outline need a module and a lesson: the first ones a plan for these
    parameters would have are invented here, so every prompt can be tried on any request.
    """
    title = course_title or params.topic
    lesson_minutes = max(1, params.total_duration_minutes // params.lesson_count)
    base = outline_variables(params, title)
    module_title = f"{params.topic}: 1"
    lesson_title = f"{params.topic}: 1.1"
    extra: dict[str, Any] = {
        "module_title": module_title,
        "lesson_title": lesson_title,
        "objectives": [f"Explain the basics of {params.topic}"],
        "duration_minutes": lesson_minutes,
        "lesson_count": params.lessons_per_module,
        "other_modules": [f"{params.topic}: {i + 2}" for i in range(params.module_count - 1)],
        "instruction": "",
        "body_md": f"# {lesson_title}\n\n" + f"An introduction to {params.topic}. " * 12,
        "key_points": [f"{params.topic}: key point {i + 1}" for i in range(3)],
        "slide_count": 5,
        # issue-17: the grounded prompts get a sample source to try them on
        "sources_digest": f"Source: {params.topic}.md (markdown, ? pages)\n- {params.topic}: the basics.",
        "source_headings": [params.topic],
        "chunks": [
            {
                "id": "S00000000-0000",
                "heading": params.topic,
                "page": None,
                "text": f"# {params.topic}\n\nThe basics of {params.topic}, as the team's handbook explains them.",
            }
        ],
        # issue 13: the part prompts (quiz, exercises, passage) and lesson 1.2.0
        "question_count": 3,
        "exercise_count": 2,
        "passage": f"An introduction to {params.topic}. " * 3,
        "neighbours": [],
        "body_words": round(lesson_minutes * 90),
        "words_per_minute": 180,
    }
    return {**base, **extra}


def pick_variables(spec: PromptSpec, variables: dict[str, Any]) -> dict[str, Any]:
    """The variables a version declares, in its order (what the playground shows)."""
    return {name: variables[name] for name in spec.variables if name in variables}


def variables_from_course(session: Session, *, course_id: int) -> dict[str, Any]:
    """Sample variables from a real course; lesson steps use its first lesson when it has one."""
    course = course_svc.get_course(session, course_id)
    params = course_svc.course_params(course)
    variables = variables_for(params, course.title)
    lessons = course_svc.lessons_of(session, course_id)
    if lessons:
        lesson = lessons[0]
        modules = course_svc.modules_of(session, course_id)
        module = next((m for m in modules if m.id == lesson.module_id), None)
        real = {
            "module_title": module.title if module else variables.get("module_title"),
            "lesson_title": lesson.title,
            "objectives": list(lesson.objectives),
            "duration_minutes": lesson.duration_minutes,
            "body_md": lesson.body_md or variables.get("body_md"),
            "key_points": list(lesson.key_points) or variables.get("key_points"),
            "other_modules": [m.title for m in modules if module is None or m.id != module.id],
        }
        variables.update({k: v for k, v in real.items() if k in variables})
    return variables


def ensure_mirrored() -> int:
    """Mirror the files into the database (pages call this; cheap when nothing changed)."""
    with session_scope() as session:
        return sync_versions(session)


def sample_sources(session: Session) -> dict[str, str]:
    """Where playground variables can come from: golden requests and existing courses."""
    sources = {f"golden:{case.id}": f"golden · {case.id}" for case in load_golden()}
    for course in course_svc.list_courses(session):
        sources[f"course:{course.id}"] = f"course · {course.title}"
    return sources


def sample_variables(session: Session, *, source: str, spec: PromptSpec) -> dict[str, Any]:
    """The variables of `spec` filled from a sample source (see sample_sources)."""
    kind, _, ident = source.partition(":")
    if kind == "golden":
        case = next((c for c in load_golden() if c.id == ident), None)
        if case is None:
            raise AppError(Code.NOT_FOUND, f"golden case {ident!r} not found")
        return pick_variables(spec, variables_for(case.request))
    if kind == "course" and ident.isdigit():
        return pick_variables(spec, variables_from_course(session, course_id=int(ident)))
    raise AppError(Code.VALIDATION, f"unknown sample source {source!r}")
