"""Command line: `python -m core generate|jobs|migrate|recover|export|import|settings|backup|restore`."""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

from core.db import id_of
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


# issue 10: numbers refused at parsing, before anything touches a database.
def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _budget(text: str) -> float:
    value = _finite(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive number of US dollars")
    return value


def _positive_seconds(text: str) -> float:
    value = _finite(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


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
    from core.auth import local_actor
    from core.db import migrate, session_scope
    from core.jobs import get_job, wait_local
    from core.models import JobStatus
    from core.services.courses import create_course
    from core.services.generation import start_course
    from core.settings import get_settings

    migrate()
    actor = local_actor(args.author or get_settings().LOCAL_USER)  # the CLI is a local admin
    from core.services.estimate import estimate_course
    from core.spending import check_caps

    estimate = estimate_course(params)
    with session_scope() as session:
        # A capped generation is refused before the course row exists: nothing is written.
        check_caps(session, email=actor.label, estimate_usd=estimate.cost_usd)
        course_id = id_of(create_course(session, actor=actor, params=params))
    job = start_course(actor=actor, course_id=course_id, budget_usd=args.budget)
    job_id = id_of(job)
    provider = get_settings().provider_name
    print(
        f"course {course_id}, job {job.id}, provider {provider}; estimate {estimate.calls} calls, "
        f"~{estimate.tokens} tokens, ~${estimate.cost_usd:.4f}"
        + (f"; budget ${args.budget:.2f}" if args.budget is not None else ""),
        file=sys.stderr,
    )
    deadline = time.monotonic() + args.timeout
    with _JobBar(args.quiet) as bar:
        while True:
            with session_scope() as session:
                job = get_job(session, job_id)
            bar.show(job)
            if JobStatus(job.status).finished:
                break
            if time.monotonic() > deadline:
                # issue 10: stop the in-process job cleanly (never let the interpreter shut
                # down under it) and leave it resumable.
                stopped_here = _interrupt_here(job_id)
                with session_scope() as session:
                    job = get_job(session, job_id)
                if JobStatus(job.status).finished:  # it ended while being stopped
                    break
                if stopped_here:
                    print(
                        f"error: job {job_id} did not finish within {args.timeout:g}s; it is kept "
                        "resumable: run `python -m core recover` to finish it",
                        file=sys.stderr,
                    )
                else:  # on the RQ workers (or not started yet): it goes on there
                    print(
                        f"error: job {job_id} did not finish within {args.timeout:g}s; it goes on "
                        "in the background (`python -m core jobs` shows it)",
                        file=sys.stderr,
                    )
                return 1
            time.sleep(0.2)
    wait_local(job_id)
    if job.status not in (JobStatus.succeeded, JobStatus.partial):
        print(f"error: job {job.id} {job.status}: {job.error_code}: {job.error_detail}", file=sys.stderr)
        return 1
    document = _course_json(course_id)
    if out is not None:
        out.write_text(document, encoding="utf-8")
        print(f"wrote {out}", file=sys.stderr)
    else:
        sys.stdout.write(document + "\n")
    if job.status == JobStatus.partial:
        r = job.result
        print(
            f"error: job {job.id} partial: {r.get('written', 0)} written, {r.get('drafts', 0)} drafts, "
            f"{r.get('skipped', 0)} skipped, {r.get('failed', 0)} failed ({job.error_code}: "
            f"{job.error_detail}); `python -m core jobs` lists it, retry it from the Jobs page",
            file=sys.stderr,
        )
        return EXIT_PARTIAL
    return 0


def _interrupt_here(job_id: int) -> bool:
    """Stop a job this process runs (in-process runner) and wait until it is released;
    False when the job runs elsewhere (RQ workers)."""
    from core.jobs import interrupt_local, local_future_done, wait_local
    from core.settings import get_settings

    if get_settings().REDIS_URL:
        return False
    # The job may be a moment away from starting: keep asking until it stops or ends.
    while not interrupt_local(job_id) and not local_future_done(job_id):
        time.sleep(0.05)
    wait_local(job_id)
    return True


# issue 10: the exit status of `generate` when the job ended partial (the JSON is written).
EXIT_PARTIAL = 3


class _JobBar:
    """A tqdm bar over a job's steps (generate, recover)."""

    def __init__(self, quiet: bool, desc: str = "generating") -> None:
        from tqdm import tqdm

        self._bar = tqdm(total=1, unit="step", desc=desc, file=sys.stderr, disable=quiet)

    def __enter__(self) -> _JobBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.close()

    def show(self, job: Any) -> None:
        self._bar.total = max(1, len(job.steps))
        self._bar.n = sum(1 for s in job.steps if s["status"] in ("done", "skipped", "draft", "failed"))
        self._bar.set_postfix_str(next((s["label"] for s in job.steps if s["status"] == "running"), "")[:40])
        self._bar.refresh()


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
    else:
        # Issue 8: each call reserves its worst case before it runs.
        print(f"a --budget under ${estimate.min_budget_usd:.4f} cannot start the most expensive call")
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
    print(
        f"{'id':>5}  {'kind':<10} {'status':<10} {'progress':>8}  {'course':>6}  {'error':<24} "
        f"{'written/drafts/skipped':<22} created"
    )
    for j in jobs:
        counts = (
            f"{j.result.get('written', 0)}/{j.result.get('drafts', 0)}/{j.result.get('skipped', 0)}"
            if isinstance(j.result, dict) and "written" in j.result
            else ""
        )
        print(
            f"{j.id:>5}  {j.kind:<10} {j.status:<10} {j.progress * 100:>7.0f}%  {j.course_id or '':>6}  "
            f"{(j.error_code or ''):<24} {counts:<22} {j.created_at:%Y-%m-%d %H:%M:%S}"
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


def cmd_recover(args: argparse.Namespace) -> int:
    """Resume jobs whose worker died. Without Redis they run here, in the foreground, with
    a progress bar; with Redis they are handed to the workers (queue reconciled) and this
    waits for them unless --no-wait."""
    from core.db import migrate, session_scope
    from core.jobs import get_job, recovery_pass, run_foreground
    from core.models import JobStatus
    from core.settings import get_settings

    migrate()
    if not get_settings().REDIS_URL:
        outcomes: list[tuple[int, str]] = []
        with _JobBar(args.quiet, desc="recovering") as bar:
            outcomes = run_foreground(on_tick=bar.show)
        for job_id, status in outcomes:
            print(f"job {job_id}: {status}", file=sys.stderr)
        print(f"resumed {len(outcomes)} jobs in this process", file=sys.stderr)
        return 0 if all(s == JobStatus.succeeded for _, s in outcomes) else 1
    passed = recovery_pass()
    ids = sorted(set(passed["orphans"]) | set(passed["requeued"]))
    print(f"handed {len(ids)} jobs to the workers: {ids}", file=sys.stderr)
    if args.no_wait:
        return 0
    worst = 0
    for job_id in ids:
        with _JobBar(args.quiet, desc=f"job {job_id}") as bar:
            while True:
                with session_scope() as session:
                    job = get_job(session, job_id)
                bar.show(job)
                if JobStatus(job.status).finished:
                    break
                time.sleep(0.5)
        print(f"job {job_id}: {job.status}", file=sys.stderr)
        worst = max(worst, 0 if job.status == JobStatus.succeeded else 1)
    return worst


def cmd_settings(_args: argparse.Namespace) -> int:
    from core.settings import get_settings

    settings = get_settings()
    print(json.dumps({**settings.safe_dict(), "provider": settings.provider_name}, indent=2, default=str))
    return 0


# ---- issue 16: backup and restore


def cmd_backup(args: argparse.Namespace) -> int:
    from core.backup import backup

    result = backup(args.out)
    m = result.manifest
    rows = sum(m["counts"].values())
    files = sum(1 for name in m["sha256"] if name.startswith("files/"))
    print(
        f"wrote {result.path}: {m['database']} at revision {m['alembic_revision']}, {rows} rows, {files} files",
        file=sys.stderr,
    )
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from core.backup import restore

    m = restore(args.file, force=args.force)
    print(
        f"restored {args.file} (taken {m['created_at']}, revision {m['alembic_revision']}, "
        f"{sum(m['counts'].values())} rows)",
        file=sys.stderr,
    )
    return 0


def add_backup_commands(sub: Any) -> None:
    bk = sub.add_parser("backup", help="back up the database and FILES_DIR into one archive")
    bk.add_argument("--out", required=True, help="archive to write (a .tar)")
    bk.set_defaults(fn=cmd_backup)
    rs = sub.add_parser("restore", help="restore an archive written by `backup`")
    rs.add_argument("file")
    rs.add_argument("--force", action="store_true", help="overwrite a database or FILES_DIR that holds data")
    rs.set_defaults(fn=cmd_restore)


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
    gen.add_argument("--budget", type=_budget, help="stop before spending more than this (USD)")
    gen.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=3600,
        help="seconds to wait; on expiry the job is stopped and kept resumable (`recover`)",
    )
    gen.add_argument("--quiet", action="store_true", help="no progress bar")
    gen.add_argument("--author", help="recorded as who started the job (default: LOCAL_USER)")
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

    rec = sub.add_parser("recover", help="resume jobs whose worker died (in the foreground without Redis)")
    rec.add_argument("--quiet", action="store_true", help="no progress bar")
    rec.add_argument("--no-wait", action="store_true", help="with Redis: hand the jobs over and exit")
    rec.set_defaults(fn=cmd_recover)

    st = sub.add_parser("settings", help="show settings (secrets masked)")
    st.set_defaults(fn=cmd_settings)

    from core.cost_cli import add_costs_command

    add_costs_command(sub)
    add_backup_commands(sub)

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
    from core.logs import logging_ready, setup_logging
    from core.tracing import setup_tracing

    if not logging_ready():  # the same JSON log lines as the web app and the worker
        setup_logging()
    setup_tracing()
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
