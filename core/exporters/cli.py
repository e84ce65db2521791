"""Command-line export and import, as argparse subcommands the `core` entry point mounts.

    python -m core export COURSE_ID --format pptx|html|md|mdx|json|scorm --profile full --out FILE
    python -m core import FILE --author NAME
    python -m core export-schema [--out schemas/course.schema.json]

Each subcommand sets `func(args) -> int` (an exit code); errors print their code and
every listed problem to stderr and return 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core.errors import AppError


def _report(exc: AppError) -> int:
    print(f"error: {exc}", file=sys.stderr)
    details: Any = exc.details
    if isinstance(details, list):
        for item in details:
            if isinstance(item, dict):
                print(f"  - {item.get('field') or '(file)'}: {item.get('message')}", file=sys.stderr)
    elif isinstance(details, dict):
        for key, value in details.items():
            print(f"  - {key}: {value}", file=sys.stderr)
    return 2


def run_export(args: argparse.Namespace) -> int:
    from core.db import session_scope
    from core.exporters import export_course
    from core.services.accessibility import export_warnings

    try:
        with session_scope() as session:
            data, filename, _mime = export_course(
                session, args.course_id, args.format, args.profile, template_path=args.template
            )
            warnings = export_warnings(session, args.course_id, args.format, data, args.template)
    except AppError as exc:
        return _report(exc)
    # issue 19: what the export could not make accessible; the file is still written
    for warning in warnings:
        print(f"accessibility warning: {warning}", file=sys.stderr)
    out = Path(args.out) if args.out else Path(filename)
    if out.is_dir():
        out = out / filename
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print(f"wrote {out} ({len(data):,} bytes)")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from core.auth import local_actor
    from core.db import session_scope
    from core.exporters.json_export import import_course_json

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    try:
        with session_scope() as session:
            course_id = import_course_json(session, data, actor=local_actor(args.author))
    except AppError as exc:
        return _report(exc)
    print(f"imported course {course_id}")
    return 0


def run_export_schema(args: argparse.Namespace) -> int:
    from core.exporters.json_export import SCHEMA_PATH, write_schema

    print(f"wrote {write_schema(Path(args.out) if args.out else SCHEMA_PATH)}")
    return 0


def add_export_commands(subparsers: argparse._SubParsersAction) -> None:
    from core.exporters import EXPORTERS
    from core.exporters.document import Profile

    export = subparsers.add_parser("export", help="export a course to a file")
    export.add_argument("course_id", type=int, metavar="COURSE_ID")
    export.add_argument("--format", "-f", required=True, choices=sorted(EXPORTERS))
    export.add_argument("--profile", "-p", default=Profile.minimal.value, choices=[p.value for p in Profile])
    export.add_argument("--out", "-o", help="output file or folder (default: a name from the course title)")
    export.add_argument("--template", help="a .pptx template whose layouts the PPTX export uses")
    export.set_defaults(func=run_export)

    schema = subparsers.add_parser("export-schema", help="write the JSON Schema of the export format")
    schema.add_argument("--out", "-o", help="default: schemas/course.schema.json")
    schema.set_defaults(func=run_export_schema)


def add_import_commands(subparsers: argparse._SubParsersAction) -> None:
    imp = subparsers.add_parser("import", help="import a course from a JSON export (creates a new course)")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--author", default="cli", help="recorded on the imported revisions")
    imp.set_defaults(func=run_import)


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (`python -m core.exporters.cli ...`) until core/__main__ mounts these."""
    parser = argparse.ArgumentParser(prog="python -m core.exporters.cli")
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_export_commands(subparsers)
    add_import_commands(subparsers)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
