"""Golden-set evaluation of the outline prompt: run a version over fixed course requests,
score the answers, compare with a baseline report, and record the run.

Scores (0..1, higher is better) gate a release; cost and latency are reported beside them.
Latency is wall-clock and too noisy to gate on; cost per run is gated only against a
baseline from the same provider, where it is deterministic.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import combinations
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from core.db import session_scope
from core.errors import AppError, Code
from core.jobs import JobContext
from core.llm.base import LLMProvider
from core.llm.gateway import CallContext, generate
from core.llm.providers import get_provider
from core.models import EvalRun
from core.prompts import PromptRegistry, PromptSpec, active_prompt, get_spec
from core.schemas import CourseParams, Language, Outline
from core.services.eval_runs import eval_model, report_head, run_counted
from core.services.golden import GOLDEN_DIR, Expectations, GoldenCase, load_golden
from core.services.prompt_lab import variables_for
from core.settings import ROOT, get_settings

KIND_EVAL = "eval"
# Gated scores: a drop larger than the threshold fails the run.
QUALITY_SCORES = ("schema_validity", "field_completeness", "constraint_adherence", "split_stability")
# Gated when the baseline used the same provider: a relative rise past the threshold fails.
COST_SCORES = ("cost_usd_per_run",)
SUPPORTED_PROMPTS = ("outline", "outline_grounded", "lesson", "slides")  # issue-17, issue 13


# ---------------------------------------------------------------- scoring one answer


def field_completeness(outline: Outline) -> float:
    """Share of the fields a usable outline fills: summaries and objectives included."""
    filled: list[bool] = [bool(outline.title), bool(outline.summary)]
    for module in outline.modules:
        filled += [bool(module.title), bool(module.summary), bool(module.objectives)]
        for lesson in module.lessons:
            filled += [bool(lesson.title), bool(lesson.objectives), lesson.duration_minutes > 0]
    return sum(filled) / len(filled)


def _script_share(text: str, language: Language) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    cyrillic = sum(1 for c in letters if "\u0400" <= c <= "\u04ff")
    return cyrillic / len(letters) if language == Language.ru else (len(letters) - cyrillic) / len(letters)


def _texts(outline: Outline) -> list[str]:
    out = [outline.title, outline.summary]
    for module in outline.modules:
        out += [module.title, module.summary, *module.objectives]
        for lesson in module.lessons:
            out += [lesson.title, *lesson.objectives]
    return out


def constraint_checks(outline: Outline, expect: Expectations) -> dict[str, bool]:
    """Each constraint of the request as pass/fail; adherence is the share that pass."""
    lessons = [lesson for module in outline.modules for lesson in module.lessons]
    titles = [outline.title] + [m.title for m in outline.modules] + [lsn.title for lsn in lessons]
    total = outline.duration_minutes
    low = expect.total_duration_minutes * (1 - expect.duration_tolerance)
    high = expect.total_duration_minutes * (1 + expect.duration_tolerance)
    max_minutes = expect.max_lesson_minutes or 10**6
    objective_lists = [m.objectives for m in outline.modules] + [lsn.objectives for lsn in lessons]
    # Topic names (Python, Excel) are Latin in Russian courses too, hence the lower bar.
    language_bar = 0.6 if expect.language == Language.ru else 0.9
    return {
        "module_count": len(outline.modules) == expect.module_count,
        "lessons_per_module": all(len(m.lessons) == expect.lessons_per_module for m in outline.modules),
        "duration_total": low <= total <= high,
        "lesson_minutes": all(
            expect.min_lesson_minutes <= lsn.duration_minutes <= max_minutes for lsn in lessons
        ),
        "language": _script_share(" ".join(_texts(outline)), expect.language) >= language_bar,
        "title_length": all(len(t) <= expect.title_max_chars for t in titles),
        "summary_length": len(outline.summary) <= expect.summary_max_chars,
        "objectives_count": all(
            expect.objectives_min <= len(objs) <= expect.objectives_max for objs in objective_lists
        ),
        "unique_titles": len({t.casefold() for t in titles}) == len(titles),
        **({"covers_sources": _covers(outline, expect.source_headings)} if expect.source_headings else {}),
    }


def _covers(outline: Outline, headings: list[str]) -> bool:
    """issue-17: every expected source heading is named by some title or objective."""
    text = " ".join(_texts(outline)).casefold()
    return all(h.casefold() in text for h in headings)


def title_similarity(a: list[str], b: list[str]) -> float:
    """Mean similarity of lesson titles position by position; a missing lesson counts 0."""
    width = max(len(a), len(b))
    if width == 0:
        return 1.0
    total = sum(
        SequenceMatcher(None, a[i].casefold(), b[i].casefold()).ratio() if i < len(a) and i < len(b) else 0.0
        for i in range(width)
    )
    return total / width


# ---------------------------------------------------------------- running


@dataclass
class RunResult:
    case_id: str
    repeat: int
    valid: bool
    error_code: str | None
    problems: list[str]
    remediated: bool
    completeness: float
    adherence: float
    failed_checks: list[str]
    lesson_titles: list[str]
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_ms: float


def eval_variables(spec: PromptSpec, params: CourseParams) -> dict[str, Any]:
    """Only what the prompt declares: a real model sees nothing else, and neither must the
    offline provider, or a version that drops a rule would score as well as one that keeps it."""
    everything = variables_for(params)
    return {name: everything[name] for name in spec.variables if name in everything}


def case_variables(spec: PromptSpec, case: GoldenCase) -> dict[str, Any]:
    """eval_variables, plus the digest of the case's own sources for a grounded prompt."""
    variables = eval_variables(spec, case.request)
    if case.sources and "sources_digest" in spec.variables:
        from core.services.sources import digest_of
        from core.sources.chunking import split
        from core.sources.convert import checksum

        items = []
        for source in case.sources:
            data = source.text.encode()
            items.append((source.name, "markdown", 0, split(source.text, checksum(data), paged=False)))
        variables["sources_digest"] = digest_of(items)
        # The offline provider plans from the headings (a real model reads the digest).
        variables["source_headings"] = [
            c.heading for _n, _k, _p, chunks in items for c in chunks if c.heading
        ]
    return variables


def run_case(
    *, spec: PromptSpec, case: GoldenCase, repeat: int, provider: LLMProvider, model: str
) -> RunResult:
    variables = case_variables(spec, case)
    started = time.perf_counter()
    try:
        gen = generate(
            provider=provider,
            spec=spec,
            variables=variables,
            ctx=CallContext(step="eval"),
            model=model,
        )
    except Exception as exc:
        # A provider error or a provider that cannot work from these variables: the run
        # scores zero and the report says why.
        code = getattr(exc, "code", Code.INTERNAL)
        return RunResult(
            case.id, repeat, False, str(code), [f"{type(exc).__name__}: {exc}"[:300]], False,
            0.0, 0.0, [], [], 0, 0, 0.0, round((time.perf_counter() - started) * 1000, 1),
        )  # fmt: skip
    latency = round((time.perf_counter() - started) * 1000, 1)
    base = {
        "case_id": case.id,
        "repeat": repeat,
        "error_code": gen.error_code,
        "problems": gen.problems[:10],
        "remediated": gen.remediated,
        "input_tokens": gen.input_tokens,
        "output_tokens": gen.output_tokens,
        "cost_usd": round(gen.cost_usd, 6),
        "latency_ms": latency,
    }
    if not gen.ok:
        return RunResult(
            valid=False, completeness=0.0, adherence=0.0, failed_checks=[], lesson_titles=[], **base
        )
    outline: Outline = gen.value
    checks = constraint_checks(outline, case.expect)
    return RunResult(
        valid=True,
        completeness=round(field_completeness(outline), 4),
        adherence=round(sum(checks.values()) / len(checks), 4),
        failed_checks=[name for name, ok in checks.items() if not ok],
        lesson_titles=[lsn.title for m in outline.modules for lsn in m.lessons],
        **base,
    )


def _mean(values: list[float]) -> float:
    return round(statistics.fmean(values), 4) if values else 0.0


def summarize(results: list[RunResult], repeats: int) -> tuple[dict[str, Any], dict[str, float | None]]:
    """The scores over all runs, and the split stability of each case."""
    by_case: dict[str, list[RunResult]] = {}
    for r in results:
        by_case.setdefault(r.case_id, []).append(r)
    stability: dict[str, float | None] = {}
    for case_id, runs in by_case.items():
        pairs = list(combinations(sorted(runs, key=lambda r: r.repeat), 2))
        stability[case_id] = (
            round(statistics.fmean(title_similarity(a.lesson_titles, b.lesson_titles) for a, b in pairs), 4)
            if pairs
            else None
        )
    latencies = sorted(r.latency_ms for r in results)
    cost = sum(r.cost_usd for r in results)
    stable = [s for s in stability.values() if s is not None]
    scores: dict[str, Any] = {
        "schema_validity": _mean([1.0 if r.valid else 0.0 for r in results]),
        "field_completeness": _mean([r.completeness for r in results]),
        "constraint_adherence": _mean([r.adherence for r in results]),
        "split_stability": _mean(stable) if repeats > 1 else None,
        "remediation_rate": _mean([1.0 if r.remediated else 0.0 for r in results]),
        "runs": len(results),
        "input_tokens": sum(r.input_tokens for r in results),
        "output_tokens": sum(r.output_tokens for r in results),
        "cost_usd_total": round(cost, 6),
        "cost_usd_per_run": round(cost / len(results), 6) if results else 0.0,
        "latency_ms_mean": round(statistics.fmean(latencies), 1) if latencies else 0.0,
        "latency_ms_p95": latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
        if latencies
        else 0.0,
    }
    return scores, stability


def evaluate(
    *,
    spec: PromptSpec,
    cases: list[GoldenCase],
    provider: LLMProvider,
    repeats: int = 2,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run every case `repeats` times and build the report (without baseline comparison)."""
    if spec.prompt_id == "lesson":  # issue 13: lessons are scored on their content
        from core.services.lesson_eval import evaluate_lessons

        return evaluate_lessons(spec=spec, cases=cases, provider=provider, repeats=repeats, progress=progress)
    if spec.prompt_id == "slides":
        from core.services.slides_eval import evaluate_slides

        return evaluate_slides(spec=spec, cases=cases, provider=provider, repeats=repeats, progress=progress)
    if spec.prompt_id not in SUPPORTED_PROMPTS:
        raise AppError(
            Code.VALIDATION,
            f"the golden set scores course outlines; prompt {spec.prompt_id!r} cannot be evaluated on it",
        )
    model = eval_model(spec)
    work = [(case, repeat) for case in cases for repeat in range(repeats)]
    results = run_counted(
        lambda item: run_case(spec=spec, case=item[0], repeat=item[1], provider=provider, model=model),
        work,
        progress,
    )
    scores, stability = summarize(results, repeats)
    return {
        **report_head(spec, provider, model, repeats, len(cases)),
        "scores": scores,
        "per_case": [
            {
                "id": case.id,
                "stability": stability.get(case.id),
                "runs": [_run_json(r) for r in results if r.case_id == case.id],
            }
            for case in cases
        ],
    }


def _run_json(r: RunResult) -> dict[str, Any]:
    return {
        "repeat": r.repeat,
        "valid": r.valid,
        "error_code": r.error_code,
        "problems": r.problems,
        "remediated": r.remediated,
        "completeness": r.completeness,
        "adherence": r.adherence,
        "failed_checks": r.failed_checks,
        "lesson_titles": r.lesson_titles,
        "cost_usd": r.cost_usd,
        "latency_ms": r.latency_ms,
    }


# ---------------------------------------------------------------- comparing


def compare(report: dict[str, Any], baseline: dict[str, Any], threshold: float) -> dict[str, Any]:
    """Score-by-score deltas against a baseline, and the scores that dropped past the threshold."""
    from core.services.eval_baselines import ungated

    now, before = report.get("scores", {}), baseline.get("scores", {})
    same_provider = report.get("provider") == baseline.get("provider")
    constant = ungated(report.get("provider"))  # issue 13: scores that cannot vary here do not gate
    rows = []
    dropped = []
    gated = tuple(report.get("gated_scores") or QUALITY_SCORES)  # issue 13: each prompt its own scores
    for name in (*gated, "remediation_rate", *COST_SCORES, "latency_ms_mean"):
        cur, base = now.get(name), before.get(name)
        delta = (
            round(cur - base, 6) if isinstance(cur, int | float) and isinstance(base, int | float) else None
        )
        failed = False
        if delta is not None and name in gated and name not in constant:
            failed = -delta > threshold + 1e-9
        elif delta is not None and name in COST_SCORES and same_provider and base > 0:
            failed = delta / base > threshold + 1e-9
        rows.append({"score": name, "current": cur, "baseline": base, "delta": delta, "dropped": failed})
        if failed:
            dropped.append(name)
    notes = []
    if not same_provider:
        notes.append(
            f"baseline provider {baseline.get('provider')!r} differs from {report.get('provider')!r}; "
            "cost is not compared"
        )
    if constant:
        notes.append(f"not gated for {report.get('provider')} (cannot vary there): {', '.join(constant)}")
    if same_provider and baseline.get("model") != report.get("model"):
        notes.append(f"baseline model {baseline.get('model')!r} differs from {report.get('model')!r}")
    if baseline.get("cases") != report.get("cases") or baseline.get("repeats") != report.get("repeats"):
        notes.append("baseline used a different golden set size or repeat count")
    return {
        "baseline_version": baseline.get("version"),
        "baseline_provider": baseline.get("provider"),
        "threshold": threshold,
        "rows": rows,
        "dropped": dropped,
        "notes": notes,
    }


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value else "0"
    return str(value)


def markdown_report(report: dict[str, Any]) -> str:
    """The report for people: scores, the comparison, and every case's failures."""
    lines = [
        f"# Evaluation: {report['prompt_id']} {report['version']} ({report.get('target', '')})",
        "",
        f"- provider: {report['provider']}, model: {report['model']}",
        f"- golden cases: {report['cases']}, repeats: {report['repeats']}, runs: {report['scores']['runs']}",
        f"- checksum: `{report['checksum']}`",
        f"- created: {report['created_at']}",
        "",
        "## Scores",
        "",
    ]
    comparison = report.get("comparison")
    if comparison:
        lines += ["| score | current | baseline | delta | dropped |", "|---|---|---|---|---|"]
        for row in comparison["rows"]:
            lines.append(
                f"| {row['score']} | {_fmt(row['current'])} | {_fmt(row['baseline'])} | "
                f"{_fmt(row['delta'])} | {'**yes**' if row['dropped'] else ''} |"
            )
        lines.append("")
        if comparison["dropped"]:
            lines.append(f"**Dropped past {comparison['threshold']}:** {', '.join(comparison['dropped'])}")
        else:
            lines.append(f"No score dropped past {comparison['threshold']}.")
        lines += [f"- note: {n}" for n in comparison["notes"]]
        lines.append("")
    lines += ["| score | value |", "|---|---|"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in report["scores"].items()]
    if "judge" in report:
        lines += ["", f"- judge: {report['judge'].get('reason') or report['judge'].get('score')}"]
    if report.get("gated_scores"):
        # issue 13: content-scored prompts list each case's scores instead of outline checks.
        names = [n for n in report["gated_scores"] if n != "schema_validity"]
        lines += ["", "## Cases", "", "| case | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
        for case in report["per_case"]:
            lines.append(f"| {case['id']} | " + " | ".join(_fmt(case["scores"].get(n)) for n in names) + " |")
        return "\n".join(lines) + "\n"
    lines += ["", "## Cases", "", "| case | valid | adherence | stability | failed checks / problems |"]
    lines.append("|---|---|---|---|---|")
    for case in report["per_case"]:
        runs = case["runs"]
        failures = sorted({c for r in runs for c in r["failed_checks"]})
        problems = [p for r in runs for p in r["problems"]][:2]
        detail = ", ".join(failures) or "; ".join(problems)
        lines.append(
            f"| {case['id']} | {sum(r['valid'] for r in runs)}/{len(runs)} | "
            f"{_fmt(_mean([r['adherence'] for r in runs]))} | {_fmt(case['stability'])} | "
            f"{detail.replace('|', '/')[:200]} |"
        )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- one full run


def resolve_spec(
    prompt_id: str, *, version: str | None, label: str | None, registry: PromptRegistry | None = None
) -> tuple[PromptSpec, str]:
    """The version to evaluate and how it was named (`label:production` or the version)."""
    if version:
        return get_spec(prompt_id, version, registry), version
    label = label or "production"
    return active_prompt(prompt_id, label, registry), f"label:{label}"


def run_evaluation(
    *,
    spec: PromptSpec,
    target: str,
    provider: LLMProvider,
    golden: Path = GOLDEN_DIR,
    repeats: int = 2,
    baseline: dict[str, Any] | None = None,
    threshold: float = 0.05,
    out_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Evaluate, compare, write report.json and report.md, and record an eval_runs row."""

    report = evaluate(
        spec=spec, cases=load_golden(golden), provider=provider, repeats=repeats, progress=progress
    )
    report["target"] = target
    if baseline is not None:
        report["comparison"] = compare(report, baseline, threshold)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", "utf-8")
        (out_dir / "report.md").write_text(markdown_report(report), "utf-8")
    with session_scope() as session:
        row = EvalRun(
            prompt_id=spec.prompt_id,
            target=f"{target}@{spec.version}" if target.startswith("label:") else target,
            provider=report["provider"],
            scores=report["scores"],
            report=report,
        )
        session.add(row)
        session.flush()
        report["eval_run_id"] = row.id
    return report


def list_runs(session: Session, *, prompt_id: str | None = None, limit: int = 50) -> list[EvalRun]:
    query = select(EvalRun).order_by(col(EvalRun.id).desc()).limit(limit)
    if prompt_id:
        query = query.where(EvalRun.prompt_id == prompt_id)
    return list(session.exec(query))


def compare_runs(
    session: Session, *, run_id: int, baseline_id: int, threshold: float = 0.05
) -> dict[str, Any]:
    """Two recorded runs compared score by score (the evaluations page)."""
    current, base = session.get(EvalRun, run_id), session.get(EvalRun, baseline_id)
    if current is None or base is None:
        raise AppError(
            Code.NOT_FOUND, f"evaluation run {run_id if current is None else baseline_id} not found"
        )
    return compare(current.report, base.report, threshold)


# ---------------------------------------------------------------- as a job (page, nightly)


def reports_dir() -> Path:
    """Where evaluation jobs write their reports; EVAL_OUT_DIR moves them (tests, volumes)."""
    return Path(os.environ.get("EVAL_OUT_DIR") or ROOT / "out" / "evals")


def run_eval_job(ctx: JobContext) -> dict[str, Any]:

    prompt_id = str(ctx.payload.get("prompt_id") or "outline")
    spec, target = resolve_spec(prompt_id, version=ctx.payload.get("version"), label=ctx.payload.get("label"))
    ctx.set_steps([("eval", f"Evaluate {prompt_id} {spec.version}")])
    ctx.step("eval", "running")
    # issue 13: the baseline of this provider and model, or a plain "none" in the job's record.
    from core.services.eval_baselines import find_baseline

    provider = get_provider()
    model = str(spec.defaults.get("model") or get_settings().model_for(spec.prompt_id))
    baseline, baseline_note = find_baseline(getattr(provider, "name", "unknown"), model, spec.prompt_id)
    threshold = float(ctx.payload.get("threshold", 0.05))

    def progress(done: int, total: int) -> None:
        ctx.step("eval", "running", f"{done}/{total} runs")

    report = run_evaluation(
        spec=spec,
        target=target,
        provider=provider,
        repeats=int(ctx.payload.get("repeats", 2)),
        baseline=baseline,
        threshold=threshold,
        out_dir=reports_dir() / f"job-{ctx.job_id}",
        progress=progress,
    )
    dropped = report.get("comparison", {}).get("dropped", [])
    if baseline is None:
        ctx.step("eval", "done", baseline_note)
    else:
        ctx.step("eval", "done", f"dropped: {', '.join(dropped)}" if dropped else "no score dropped")
    return {
        "eval_run_id": report["eval_run_id"],
        "scores": report["scores"],
        "dropped": dropped,
        "baseline": baseline_note,
    }
