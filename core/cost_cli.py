"""`python -m core costs`: a cost view for scripts and scheduled reports."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from core.errors import InvalidInput

FILTER_FLAGS = {
    "course": "course_ids",
    "model": "models",
    "prompt": "prompt_ids",
    "prompt-version": "prompt_versions",
    "step": "steps",
    "kind": "job_kinds",
    "user": "users",
    "outcome": "outcomes",
    "provider": "providers",
}


def cmd_costs(args: argparse.Namespace) -> int:
    from core.auth import local_actor
    from core.db import migrate, session_scope
    from core.services.analytics import CostFilter, refresh_rollup
    from core.services.cost_report import export_table, report_rows

    query = {"start": args.date_from or "", "end": args.date_to or ""}
    for flag, name in FILTER_FLAGS.items():
        query[name] = getattr(args, flag.replace("-", "_")) or ""
    flt = CostFilter.from_query(query)
    by = [b.strip() for b in args.group_by.split(",") if b.strip()]
    actor = local_actor()  # the CLI acts as the local admin, like every other command
    migrate()
    with session_scope() as session:
        refresh_rollup(session)
    with session_scope(readonly=True) as session:
        rows = report_rows(session, flt, by, actor=actor)
    data: bytes
    if args.format == "json":
        data = (json.dumps(rows, ensure_ascii=False, indent=2) + "\n").encode()
    elif args.format == "parquet":
        if not args.out:
            raise InvalidInput(
                "--format parquet writes a binary file", [{"field": "--out", "message": "required"}]
            )
        data = export_table(rows, fmt="parquet", actor=actor)
    else:
        data = export_table(rows, fmt="csv", actor=actor)
    if args.out:
        with open(args.out, "wb") as fh:
            fh.write(data)
        print(f"wrote {len(rows) - 1} groups to {args.out}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return 0


def add_costs_command(sub: Any) -> None:
    costs = sub.add_parser(
        "costs", help="cost figures grouped by time, course, model, ... (CSV, JSON or Parquet)"
    )
    costs.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first day (UTC), inclusive")
    costs.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last day (UTC), inclusive")
    costs.add_argument(
        "--group-by",
        default="day",
        help="one or two of day, week, month, course, model, prompt_version, step, job_kind, user, outcome",
    )
    for flag in FILTER_FLAGS:
        costs.add_argument(f"--{flag}", help="comma-separated values")
    costs.add_argument("--format", choices=["csv", "json", "parquet"], default="csv")
    costs.add_argument("--out", help="write here instead of standard output")
    costs.set_defaults(fn=cmd_costs)
