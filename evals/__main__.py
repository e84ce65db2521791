"""python -m evals run --prompt outline --label production --golden evals/golden ...

Exit codes: 0 all scores held, 1 a score dropped past the threshold (named on stderr),
2 bad arguments (unknown prompt, version or label, unreadable golden set or baseline).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_DROPPED, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evals", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="evaluate a prompt version over the golden set")
    run.add_argument("--prompt", default="outline", help="prompt id (default: outline)")
    which = run.add_mutually_exclusive_group()
    which.add_argument("--label", help="evaluate the version a label points at (default: production)")
    which.add_argument("--version", help="evaluate this version")
    run.add_argument("--golden", type=Path, default=None, help="folder of golden cases (*.yaml)")
    run.add_argument("--repeats", type=int, default=2, help="runs per case, for split stability (>= 1)")
    run.add_argument("--baseline", type=Path, help="a previous report.json to compare with")
    run.add_argument("--out-dir", type=Path, default=Path("out/evals"), help="where report.json/.md go")
    run.add_argument("--threshold", type=float, default=0.05, help="largest allowed drop of a score")
    run.add_argument("--provider", choices=("auto", "offline", "openai"), help="override LLM_PROVIDER")
    run.add_argument("--prompts-root", type=Path, help="prompt files folder (default: prompts/)")
    run.add_argument("--no-migrate", action="store_true", help="do not migrate the database first")
    # issue 9: the prompt-injection golden set over every step's prompt
    inj = sub.add_parser(
        "injection", help="run the prompt-injection set; exit 1 if an answer leaks a system prompt"
    )
    inj_which = inj.add_mutually_exclusive_group()
    inj_which.add_argument("--label", help="the version each step's label points at (default: production)")
    inj_which.add_argument("--version", help="this version of every step prompt")
    inj.add_argument("--attacks", type=Path, default=None, help="folder of injection cases (*.yaml)")
    inj.add_argument("--out", type=Path, default=Path("out/evals/injection.json"), help="report file")
    inj.add_argument("--provider", choices=("auto", "offline", "openai"), help="override LLM_PROVIDER")
    inj.add_argument("--no-migrate", action="store_true", help="do not migrate the database first")
    return parser


def injection_main(args: argparse.Namespace) -> int:
    """Leaks and undelimited user text are failures (exit 1); bad arguments exit 2."""
    from core.db import migrate
    from core.errors import AppError
    from core.llm.providers import get_provider
    from core.prompts import active_prompt, get_spec
    from core.services.injection_eval import INJECTION_DIR, STEPS, evaluate_injections, load_attacks
    from core.settings import reset_settings

    reset_settings()
    try:
        if not args.no_migrate:
            migrate()
        specs = [
            get_spec(step, args.version) if args.version else active_prompt(step, args.label or "production")
            for step in STEPS
        ]
        report = evaluate_injections(
            specs=specs, cases=load_attacks(args.attacks or INJECTION_DIR), provider=get_provider()
        )
    except AppError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"injection set on {report['provider']} ({', '.join(f'{k} {v}' for k, v in report['versions'].items())}): "
        f"{report['runs']} runs, {report['leaks']} leaked the system prompt, "
        f"{report['undelimited']} carried user text outside <user_data>, {report['errors']} errors"
    )
    print(f"report: {args.out}")
    return EXIT_DROPPED if report["leaks"] or report["undelimited"] else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # argparse itself exits 2 on malformed arguments
    if args.command == "injection":
        if args.provider:
            os.environ["LLM_PROVIDER"] = args.provider
        return injection_main(args)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if not 0 <= args.threshold <= 1:
        parser.error("--threshold must be between 0 and 1")
    if args.provider:
        os.environ["LLM_PROVIDER"] = args.provider

    # Imported after the environment is settled: settings are read once.
    from core.db import migrate
    from core.errors import AppError
    from core.llm.providers import get_provider
    from core.prompts import PromptRegistry
    from core.services.evals import GOLDEN_DIR, run_evaluation
    from core.settings import reset_settings

    reset_settings()
    try:
        registry = PromptRegistry(root=args.prompts_root) if args.prompts_root else None
        baseline = None
        if args.baseline:
            try:
                baseline = json.loads(args.baseline.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise AppError("E.VALIDATION", f"{args.baseline}: cannot read the baseline: {exc}") from exc
        if not args.no_migrate:
            migrate()
        from core.services.evals import resolve_spec

        spec, target = resolve_spec(args.prompt, version=args.version, label=args.label, registry=registry)
        report = run_evaluation(
            spec=spec,
            target=target,
            provider=get_provider(),
            golden=args.golden or GOLDEN_DIR,
            repeats=args.repeats,
            baseline=baseline,
            threshold=args.threshold,
            out_dir=args.out_dir,
        )
    except AppError as exc:
        print(f"error: {exc}", file=sys.stderr)
        for detail in exc.details or []:
            print(f"  {detail}", file=sys.stderr)
        return EXIT_USAGE

    scores = report["scores"]
    print(
        f"{spec.prompt_id} {spec.version} on {report['provider']}: "
        + ", ".join(
            f"{k}={scores.get(k)}"
            # issue 13: a content-scored prompt (lesson) names its own scores
            for k in (
                *(
                    report.get("gated_scores")
                    or ("schema_validity", "field_completeness", "constraint_adherence", "split_stability")
                ),
                "cost_usd_per_run",
                "latency_ms_mean",
            )
        )
    )
    print(f"reports: {args.out_dir / 'report.json'}, {args.out_dir / 'report.md'}")
    dropped = report.get("comparison", {}).get("dropped", [])
    if dropped:
        rows = {r["score"]: r for r in report["comparison"]["rows"]}
        for name in dropped:
            row = rows[name]
            print(
                f"DROPPED {name}: {row['baseline']} -> {row['current']} (delta {row['delta']})",
                file=sys.stderr,
            )
        print(f"scores dropped past {args.threshold}: {', '.join(dropped)}", file=sys.stderr)
        return EXIT_DROPPED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
