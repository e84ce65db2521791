"""The lesson prompt is evaluated on its content (issue 13), offline and through the OpenAI
SDK against the fake server: rewording a prompt changes its scores, and a version with its
rules removed is caught by the gate on both."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from core.llm.providers import get_provider
from core.prompts import PROMPTS_DIR, get_registry, parse_prompt
from core.services.evals import GOLDEN_DIR, compare, evaluate, load_golden
from core.settings import reset_settings
from tests.fakes.openai_server import FakeOpenAIServer

# Rule lines of lesson 1.2.0 that a "simplified" version drops.
RULES = (
    "about {{ body_words }} words",
    "every question checks one",
)


def _worse():
    """Lesson 1.2.0 with its length and objective rules cut out (what a careless edit does)."""
    data = yaml.safe_load((PROMPTS_DIR / "lesson" / "1.2.0.yaml").read_text(encoding="utf-8"))
    template = data["template"]
    template = re.sub(r", about \{\{ body_words \}\} words:.*?the quiz;", ";", template, flags=re.S)
    template = re.sub(
        r'every question checks one\s+objective above: copy it into "objective", and cover each\s+objective; ',
        "",
        template,
    )
    assert not any(rule in template for rule in RULES), "the rules were not removed"
    data.update(version="1.9.0", changelog="Simplified.", template=template, checksum=None)
    return parse_prompt(data)


@pytest.fixture
def golden(tmp_path: Path) -> list:
    # Four requests (both languages, three levels) keep the run short; the full set is the CLI's.
    folder = tmp_path / "golden"
    folder.mkdir()
    for name in ("01-en-beginner-python-3x3.yaml", "02-ru-beginner-excel-2x3.yaml",
                 "04-ru-intermediate-sql-4x3.yaml", "03-en-advanced-kubernetes-5x4.yaml"):  # fmt: skip
        shutil.copy(GOLDEN_DIR / name, folder / name)
    return load_golden(folder)


@pytest.fixture
def fake_openai(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        monkeypatch.setenv("LLM_PROVIDER", "openai")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-fake-server")
        monkeypatch.setenv("HTTP_RETRIES", "0")
        reset_settings()
        yield server


def _gate(golden: list) -> tuple[dict, dict, dict]:
    registry = get_registry()
    provider = get_provider()
    good = evaluate(spec=registry.get("lesson", "1.2.0"), cases=golden, provider=provider, repeats=1)
    old = evaluate(spec=registry.get("lesson", "1.1.0"), cases=golden, provider=provider, repeats=1)
    worse = evaluate(spec=_worse(), cases=golden, provider=provider, repeats=1)
    return good, old, compare(worse, good, threshold=0.05)


def _check(good: dict, old: dict, comparison: dict) -> None:
    scores = good["scores"]
    assert scores["judge"] is None  # never 1.0 where nothing judged
    measured = [scores[n] for n in good["gated_scores"] if n != "schema_validity"]
    assert all(v is not None and 0 <= v <= 1 for v in measured) and any(v < 1 for v in measured)
    # rewording changes the scores: 1.1.0 states neither the length nor the objective rule
    assert old["scores"]["length_fit"] < scores["length_fit"] - 0.2
    assert old["scores"]["objective_coverage"] <= scores["objective_coverage"]
    assert "length_fit" in comparison["dropped"], comparison
    assert (
        comparison["rows"][[r["score"] for r in comparison["rows"]].index("objective_coverage")]["delta"] <= 0
    )


def test_offline_scores_follow_the_prompt_and_the_gate_catches_a_worse_one(db: str, golden: list) -> None:
    good, old, comparison = _gate(golden)
    assert good["provider"] == "offline"
    assert any("not gated for offline" in n for n in comparison["notes"])
    _check(good, old, comparison)


def test_fake_openai_scores_follow_the_prompt_and_the_gate_catches_a_worse_one(
    db: str, golden: list, fake_openai: FakeOpenAIServer
) -> None:
    good, old, comparison = _gate(golden)
    assert good["provider"] == "openai" and good["scores"]["runs"] > 0
    assert "schema_validity" not in comparison["dropped"]
    _check(good, old, comparison)


def _worse_slides():
    """Slides 1.1.0 without its size rule (and the variable that fed it)."""
    data = yaml.safe_load((PROMPTS_DIR / "slides" / "1.1.0.yaml").read_text(encoding="utf-8"))
    template = re.sub(r"Make about \{\{ slide_count \}\} slides\.\s*", "", data["template"])
    assert "slide_count" not in template
    variables = [v for v in data["variables"] if v != "slide_count"]
    data.update(
        version="1.9.0", changelog="Simplified.", template=template, variables=variables, checksum=None
    )
    return parse_prompt(data)


@pytest.mark.parametrize("via", ["offline", "fake_openai"])
def test_slides_are_scored_and_a_deck_prompt_without_its_size_rule_is_caught(
    db: str, golden: list, via: str, request: pytest.FixtureRequest
) -> None:
    if via == "fake_openai":
        request.getfixturevalue("fake_openai")
    provider = get_provider()
    good = evaluate(spec=get_registry().get("slides", "1.1.0"), cases=golden, provider=provider, repeats=1)
    worse = evaluate(spec=_worse_slides(), cases=golden, provider=provider, repeats=1)
    assert good["provider"] == ("offline" if via == "offline" else "openai")
    scores = good["scores"]
    assert scores["schema_validity"] == 1.0 and scores["runs"] > 0
    assert all(0 <= scores[n] <= 1 for n in good["gated_scores"])
    assert "count_fit" in compare(worse, good, threshold=0.05)["dropped"], (good["scores"], worse["scores"])
