"""Command line: `python -m core generate|jobs|migrate|recover|export|import|settings`."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from core.errors import AppError, InvalidInput

PARAM_FLAGS = {
    "topic": "topic",
    "audience": "audience",
    "level": "level",
    "duration": "total_duration_minutes",
    "language": "language",
    "modules": "module_count",
    "lessons": "lessons_per_module",
    "tone": "tone",
    "constraints": "constraints",
}


def _print_invalid(exc: InvalidInput) -> None:
    flag_of = {v: k for k, v in PARAM_FLAGS.items()}
    print(f"error: {exc.message}:", file=sys.stderr)
    for err in exc.errors:
        field = err["field"]
        name = f"--{flag_of[field]}" if field in flag_of else (field or "parameters")
        print(f"  {name}: {err['message']}", file=sys.stderr)


def cmd_generate(args: argparse.Namespace) -> int:
    from core.services.courses import validate_params

    raw: dict[str, Any] = {
        field: getattr(args, flag) for flag, field in PARAM_FLAGS.items() if getattr(args, flag) is not None
    }
    try:
        params = validate_params(raw)  # before anything touches the database
    except InvalidInput as exc:
        _print_invalid(exc)
        return 2
    out = Path(args.out) if args.out else None
    if out is not None and not out.parent.exists():
        print(f"error: --out: folder {out.parent} does not exist", file=sys.stderr)
        return 2
    if args.budget is not None and args.budget <= 0:
        print("error: --budget: must be a positive number of US dollars", file=sys.stderr)
        return 2

    from tqdm import tqdm

    from core.db import migrate, session_scope
    from core.jobs import get_job
    from core.models import JobStatus
    from core.services.courses import create_course
    from core.services.generation import start_course
    from core.settings import get_settings

    migrate()
    with session_scope() as session:
        course_id = int(create_course(session, params=params).id or 0)
    from core.services.estimate import estimate_course

    estimate = estimate_course(params)
    job = start_course(course_id=course_id, budget_usd=args.budget)
    provider = get_settings().provider_name
    print(
        f"course {course_id}, job {job.id}, provider {provider}; estimate {estimate.calls} calls, "
        f"~{estimate.tokens} tokens, ~${estimate.cost_usd:.4f}"
        + (f"; budget ${args.budget:.2f}" if args.budget is not None else ""),
        file=sys.stderr,
    )
    deadline = time.monotonic() + args.timeout
    with tqdm(total=1, unit="step", desc="generating", file=sys.stderr, disable=args.quiet) as bar:
        while True:
            with session_scope() as session:
                job = get_job(session, int(job.id or 0))
            total = max(1, len(job.steps))
            done = sum(1 for s in job.steps if s["status"] in ("done", "skipped", "draft", "failed"))
            bar.total = total
            bar.n = done
            bar.set_postfix_str(next((s["label"] for s in job.steps if s["status"] == "running"), "")[:40])
            bar.refresh()
            if JobStatus(job.status).finished:
                break
            if time.monotonic() > deadline:
                print(f"error: job {job.id} still {job.status} after {args.timeout}s", file=sys.stderr)
                return 1
            time.sleep(0.2)
    drafts = sum(1 for s in job.steps if s["status"] == "draft")
    if job.status != JobStatus.succeeded:
        print(f"error: job {job.id} {job.status}: {job.error_code}: {job.error_detail}", file=sys.stderr)
        return 1
    document = _course_json(course_id)
    if out is not None:
        out.write_text(document, encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(document + "\n")
    if drafts:
        print(f"warning: {drafts} steps kept invalid model output as drafts", file=sys.stderr)
    return 0


def _course_json(course_id: int) -> str:
    from core.db import session_scope

    try:
        from core.exporters import export_course
    except ImportError:  # exporters are optional for the engine itself
        from core.services.courses import load_course

        with session_scope() as session:
            return load_course(session, course_id).model_dump_json(indent=2)
    with session_scope() as session:
        data, _name, _mime = export_course(session, course_id, "json", "full")
    return data.decode("utf-8")


def cmd_estimate(args: argparse.Namespace) -> int:
    from core.services.courses import validate_params
    from core.services.estimate import estimate_course

    raw = {
        field: getattr(args, flag) for flag, field in PARAM_FLAGS.items() if getattr(args, flag) is not None
    }
    try:
        params = validate_params(raw)
    except InvalidInput as exc:
        _print_invalid(exc)
        return 2
    estimate = estimate_course(params)
    print(f"{'step':<8} {'model':<14} {'calls':>5} {'tokens in':>10} {'tokens out':>10} {'cost':>9}")
    for s in estimate.steps:
        print(
            f"{s.step:<8} {s.model:<14} {s.calls:>5} {s.input_tokens:>10} {s.output_tokens:>10} ${s.cost_usd:>8.4f}"
        )
    print(
        f"{'total':<8} {'':<14} {estimate.calls:>5} {'':>10} {estimate.tokens:>10} ${estimate.cost_usd:>8.4f}"
    )
    if estimate.provider == "offline":
        priced = estimate_course(params, provider="openai")
        print(f"offline costs nothing; with the configured OpenAI models: ~${priced.cost_usd:.4f}")
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    from core.db import migrate, session_scope
    from core.jobs import list_jobs

    migrate()
    with session_scope() as session:
        jobs = list_jobs(session, course_id=args.course, limit=args.limit)
    if args.json:
        print(json.dumps([j.model_dump(mode="json") for j in jobs], ensure_ascii=False, indent=2))
        return 0
    print(f"{'id':>5}  {'kind':<10} {'status':<10} {'progress':>8}  {'course':>6}  {'error':<24} created")
    for j in jobs:
        print(
            f"{j.id:>5}  {j.kind:<10} {j.status:<10} {j.progress * 100:>7.0f}%  {j.course_id or '':>6}  "
            f"{(j.error_code or ''):<24} {j.created_at:%Y-%m-%d %H:%M:%S}"
        )
    if not jobs:
        print("(no jobs)")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from core.db import downgrade, migrate

    if args.downgrade:
        downgrade(revision=args.downgrade)
    else:
        migrate()
    print("database is at", args.downgrade or "head", file=sys.stderr)
    return 0


def cmd_recover(_args: argparse.Namespace) -> int:
    from core.db import migrate
    from core.jobs import recover_orphans

    migrate()
    resumed = recover_orphans()
    print(f"resumed {len(resumed)} orphaned jobs: {resumed}", file=sys.stderr)
    return 0


def cmd_settings(_args: argparse.Namespace) -> int:
    from core.settings import get_settings

    settings = get_settings()
    print(json.dumps({**settings.safe_dict(), "provider": settings.provider_name}, indent=2, default=str))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="Course Studio command line")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="generate a whole course headless and write its JSON")
    gen.add_argument("--topic")
    gen.add_argument("--audience")
    gen.add_argument("--level", help="beginner | intermediate | advanced")
    gen.add_argument("--duration", help="total duration in minutes")
    gen.add_argument("--language", help="en | ru")
    gen.add_argument("--modules", help="number of modules")
    gen.add_argument("--lessons", help="lessons per module")
    gen.add_argument("--tone", help="neutral | friendly | formal | playful")
    gen.add_argument("--constraints", help="extra constraints for the model")
    gen.add_argument("--out", help="write the course JSON here (default: stdout)")
    gen.add_argument("--budget", type=float, help="stop before spending more than this (USD)")
    gen.add_argument("--timeout", type=float, default=3600)
    gen.add_argument("--quiet", action="store_true", help="no progress bar")
    gen.set_defaults(fn=cmd_generate)

    est = sub.add_parser("estimate", help="calls, tokens and cost of a course before it runs")
    for flag in PARAM_FLAGS:
        est.add_argument(f"--{flag}")
    est.set_defaults(fn=cmd_estimate)

    jobs = sub.add_parser("jobs", help="list jobs")
    jobs.add_argument("--course", type=int)
    jobs.add_argument("--limit", type=int, default=50)
    jobs.add_argument("--json", action="store_true")
    jobs.set_defaults(fn=cmd_jobs)

    mig = sub.add_parser("migrate", help="run database migrations")
    mig.add_argument("--downgrade", metavar="REVISION")
    mig.set_defaults(fn=cmd_migrate)

    rec = sub.add_parser("recover", help="resume jobs whose worker died")
    rec.set_defaults(fn=cmd_recover)

    st = sub.add_parser("settings", help="show settings (secrets masked)")
    st.set_defaults(fn=cmd_settings)

    try:
        from core.exporters.cli import add_export_commands, add_import_commands
    except ImportError:
        pass
    else:
        add_export_commands(sub)
        add_import_commands(sub)
    from core.video.cli import add_video_commands  # issue-14

    add_video_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        # Exporter commands register `func`; the engine's own register `fn`.
        handler = getattr(args, "fn", None) or args.func
        return int(handler(args))
    except InvalidInput as exc:
        _print_invalid(exc)
        return 2
    except AppError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
