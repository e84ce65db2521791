"""issue 17: the golden set's source-based cases score the grounded outline prompt; the
coverage check can fail (the topic-only prompt does not cover the sources)."""

from __future__ import annotations

from core.llm.providers.offline import OfflineProvider
from core.prompts import active_prompt
from core.services.evals import GOLDEN_DIR, evaluate, load_golden
from core.settings import get_settings

SOURCES_DIR = GOLDEN_DIR.parent / "golden_sources"


def _runs(report: dict) -> list[dict]:
    return [run for case in report["per_case"] for run in case["runs"]]


def _report(prompt_id: str) -> dict:
    return evaluate(
        spec=active_prompt(prompt_id),
        cases=load_golden(SOURCES_DIR),
        provider=OfflineProvider(get_settings()),
        repeats=1,
    )


def test_grounded_outline_covers_every_source_section(db: str) -> None:
    report = _report("outline_grounded")
    assert report["scores"]["schema_validity"] == 1.0
    assert report["scores"]["constraint_adherence"] == 1.0, [r["failed_checks"] for r in _runs(report)]


def test_the_topic_only_outline_misses_the_sources(db: str) -> None:
    report = _report("outline")
    assert any("covers_sources" in r["failed_checks"] for r in _runs(report))
