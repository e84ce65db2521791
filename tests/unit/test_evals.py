"""Golden-set scoring: the golden set itself, each score, the baseline comparison, the
reports and the command's argument handling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from core.errors import AppError
from core.schemas import Outline
from core.services import evals
from core.services.evals import Expectations, GoldenCase, RunResult
from evals.__main__ import EXIT_USAGE, main

ROOT = Path(__file__).resolve().parents[2]


def outline(module_count: int = 2, lessons: int = 2, minutes: int = 15, language: str = "en") -> Outline:
    word = "Урок" if language == "ru" else "Lesson"
    return Outline.model_validate(
        {
            "title": f"{word} course",
            "summary": f"{word} summary",
            "modules": [
                {
                    "title": f"{word} module {m}",
                    "summary": f"{word} module summary",
                    "objectives": [f"{word} objective"],
                    "lessons": [
                        {
                            "title": f"{word} {m}.{i}",
                            "objectives": [f"{word} goal"],
                            "duration_minutes": minutes,
                        }
                        for i in range(lessons)
                    ],
                }
                for m in range(module_count)
            ],
        }
    )


def expect(**overrides: object) -> Expectations:
    data = {"module_count": 2, "lessons_per_module": 2, "total_duration_minutes": 60, "language": "en"}
    return Expectations.model_validate({**data, **overrides})


# ------------------------------------------------------------------ golden set


def test_the_golden_set_has_at_least_twelve_varied_requests() -> None:
    cases = evals.load_golden()
    assert len(cases) >= 12
    requests = [c.request for c in cases]
    assert {r.language.value for r in requests} == {"en", "ru"}
    assert {r.level.value for r in requests} == {"beginner", "intermediate", "advanced"}
    assert min(r.module_count for r in requests) == 1 and max(r.module_count for r in requests) == 8
    # Tight budgets: some request leaves five minutes a lesson, some caps lesson length.
    assert any(r.total_duration_minutes == 5 * r.lesson_count for r in requests)
    assert any(c.expect.max_lesson_minutes for c in cases)


def test_a_golden_case_whose_expectations_contradict_its_request_is_refused(tmp_path: Path) -> None:
    case = yaml.safe_load((ROOT / "evals/golden/01-en-beginner-python-3x3.yaml").read_text("utf-8"))
    case["expect"]["module_count"] = 4
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(case), "utf-8")
    with pytest.raises(AppError, match="invalid golden case") as caught:
        evals.load_golden(tmp_path)
    assert "expect.module_count differs" in json.dumps(caught.value.details)


def test_duplicate_golden_ids_and_an_empty_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(AppError, match="no golden cases"):
        evals.load_golden(tmp_path)
    text = (ROOT / "evals/golden/01-en-beginner-python-3x3.yaml").read_text("utf-8")
    (tmp_path / "a.yaml").write_text(text, "utf-8")
    (tmp_path / "b.yaml").write_text(text, "utf-8")
    with pytest.raises(AppError, match="duplicate golden case id"):
        evals.load_golden(tmp_path)


# ------------------------------------------------------------------ scores


def test_a_complete_outline_scores_full_completeness_and_missing_summaries_lower_it() -> None:
    assert evals.field_completeness(outline()) == 1.0
    sparse = outline().model_copy(update={"summary": ""})
    sparse.modules[0].summary = ""
    assert evals.field_completeness(sparse) == pytest.approx(1 - 2 / 20)


def test_constraint_checks_pass_for_an_outline_that_follows_the_request() -> None:
    checks = evals.constraint_checks(outline(), expect())
    assert all(checks.values()), checks


@pytest.mark.parametrize(
    ("made", "expectations", "failed"),
    [
        (outline(module_count=3), expect(), {"module_count", "duration_total"}),
        (outline(lessons=3, minutes=10), expect(), {"lessons_per_module"}),
        (outline(minutes=20), expect(), {"duration_total"}),
        (outline(), expect(max_lesson_minutes=10), {"lesson_minutes"}),
        (outline(), expect(language="ru"), {"language"}),
        (outline(language="ru"), expect(), {"language"}),
        (outline(), expect(title_max_chars=8), {"title_length"}),
        (outline(), expect(objectives_min=2), {"objectives_count"}),
    ],
)
def test_each_broken_constraint_is_named(made: Outline, expectations: Expectations, failed: set[str]) -> None:
    checks = evals.constraint_checks(made, expectations)
    assert {name for name, ok in checks.items() if not ok} == failed


def test_repeated_titles_break_uniqueness() -> None:
    made = outline()
    made.modules[1].lessons[0].title = made.modules[0].lessons[0].title
    assert evals.constraint_checks(made, expect())["unique_titles"] is False


def test_title_similarity_is_one_for_equal_splits_and_counts_missing_lessons_as_zero() -> None:
    assert evals.title_similarity(["Intro", "Tools"], ["Intro", "Tools"]) == 1.0
    assert evals.title_similarity(["Intro", "Tools"], ["Intro"]) == 0.5
    assert 0 < evals.title_similarity(["Intro to SQL"], ["Intro to Python"]) < 1


def result(case: str, repeat: int, **kw: object) -> RunResult:
    data = dict(valid=True, error_code=None, problems=[], remediated=False, completeness=1.0, adherence=1.0,
                failed_checks=[], lesson_titles=["A", "B"], input_tokens=10, output_tokens=20, cost_usd=0.01,
                latency_ms=5.0)  # fmt: skip
    return RunResult(case_id=case, repeat=repeat, **{**data, **kw})  # type: ignore[arg-type]


def test_summary_scores_runs_and_an_invalid_run_counts_zero() -> None:
    runs = [
        result("a", 0),
        result("a", 1, lesson_titles=["A", "C"]),
        result("b", 0),
        result("b", 1, valid=False, completeness=0.0, adherence=0.0, lesson_titles=[]),
    ]
    scores, stability = evals.summarize(runs, repeats=2)
    assert scores["schema_validity"] == 0.75
    assert scores["field_completeness"] == 0.75
    assert scores["constraint_adherence"] == 0.75
    assert stability == {"a": 0.5, "b": 0.0}
    assert scores["split_stability"] == 0.25
    assert scores["cost_usd_total"] == 0.04 and scores["cost_usd_per_run"] == 0.01
    assert scores["runs"] == 4


def test_stability_is_not_scored_from_a_single_run() -> None:
    scores, _ = evals.summarize([result("a", 0)], repeats=1)
    assert scores["split_stability"] is None


# ------------------------------------------------------------------ comparison and reports


def report(**scores: float | None) -> dict:
    base = {"schema_validity": 1.0, "field_completeness": 1.0, "constraint_adherence": 0.9, "split_stability": 1.0,
            "remediation_rate": 0.0, "cost_usd_per_run": 0.01, "latency_ms_mean": 100.0, "runs": 2}  # fmt: skip
    return {"provider": "openai", "cases": 1, "repeats": 2, "version": "1.0.0", "scores": {**base, **scores}}


def test_only_drops_past_the_threshold_fail() -> None:
    result = evals.compare(report(constraint_adherence=0.86, split_stability=0.9), report(), threshold=0.05)
    assert result["dropped"] == ["split_stability"]
    rows = {r["score"]: r for r in result["rows"]}
    assert rows["constraint_adherence"]["delta"] == pytest.approx(-0.04)
    assert rows["split_stability"]["dropped"] is True


def test_a_score_that_improves_never_fails() -> None:
    assert evals.compare(report(), report(constraint_adherence=0.5), threshold=0.0)["dropped"] == []


def test_cost_is_gated_only_against_the_same_provider() -> None:
    pricier = report(cost_usd_per_run=0.02)
    assert evals.compare(pricier, report(), threshold=0.5)["dropped"] == ["cost_usd_per_run"]
    other = {**report(), "provider": "offline"}
    compared = evals.compare(pricier, other, threshold=0.5)
    assert compared["dropped"] == [] and "cost is not compared" in compared["notes"][0]


def test_latency_is_reported_but_never_gated() -> None:
    assert evals.compare(report(latency_ms_mean=10_000.0), report(), threshold=0.0)["dropped"] == []


def test_the_markdown_report_names_dropped_scores_and_failing_cases() -> None:
    full = {
        **report(constraint_adherence=0.5),
        "prompt_id": "outline", "target": "1.1.0", "model": "m", "checksum": "sha256:x", "created_at": "now",
        "per_case": [{"id": "case-1", "stability": 1.0, "runs": [
            {"valid": True, "adherence": 0.5, "failed_checks": ["module_count"], "problems": []}]}],
    }  # fmt: skip
    full["comparison"] = evals.compare(full, report(), threshold=0.05)
    text = evals.markdown_report(full)
    assert "**Dropped past 0.05:** constraint_adherence" in text
    assert "| case-1 | 1/1 | 0.5 | 1 | module_count |" in text


# ------------------------------------------------------------------ the command's arguments


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "--label", "production", "--version", "1.0.0"],
        ["run", "--repeats", "0"],
        ["run", "--threshold", "2"],
        ["walk"],
    ],
)
def test_malformed_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == EXIT_USAGE


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--version", "9.9.9"], "no version 9.9.9 of prompt 'outline'"),
        (["run", "--prompt", "module"], "cannot be evaluated"),  # slides and lesson can be, since issue 13
        (["run", "--golden", "nowhere"], "no golden cases"),
        (["run", "--baseline", "missing.json"], "cannot read the baseline"),
    ],
)
def test_unknown_targets_and_unreadable_inputs_exit_2(
    db: str, tmp_path: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*argv, "--out-dir", str(tmp_path / "out"), "--no-migrate"]
    argv = [str(tmp_path / a) if a in ("nowhere", "missing.json") else a for a in argv]
    assert main(argv) == EXIT_USAGE
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out" / "report.json").exists()


def test_golden_case_model_refuses_unknown_fields() -> None:
    with pytest.raises(ValueError, match="Extra inputs"):
        GoldenCase.model_validate(
            {"id": "x", "request": {"topic": "abc"}, "expect": {**expect().model_dump(), "surprise": 1}}
        )
