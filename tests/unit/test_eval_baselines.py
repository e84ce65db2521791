"""Baselines per provider and model, and scores that cannot vary do not gate (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

from core.services.eval_baselines import BASELINES_DIR, baseline_path, find_baseline
from core.services.evals import compare


def _report(provider: str, model: str = "gpt-4.1-mini", **scores: float) -> dict:
    base = {
        "schema_validity": 1.0,
        "field_completeness": 1.0,
        "constraint_adherence": 1.0,
        "split_stability": 1.0,
    }
    return {"prompt_id": "outline", "provider": provider, "model": model, "cases": 14, "repeats": 2,
            "scores": {**base, **scores}}  # fmt: skip


def test_constant_scores_do_not_gate_the_offline_provider_but_gate_a_model() -> None:
    for provider, expected in (
        ("offline", ["constraint_adherence"]),
        ("openai", ["schema_validity", "constraint_adherence"]),
    ):
        now = _report(provider, schema_validity=0.8, constraint_adherence=0.8)
        result = compare(now, _report(provider), threshold=0.05)
        assert result["dropped"] == expected, provider
    notes = compare(_report("offline"), _report("offline"), 0.05)["notes"]
    assert any("not gated for offline" in n and "split_stability" in n for n in notes)
    notes = compare(_report("openai", "gpt-4.1"), _report("openai"), 0.05)["notes"]
    assert any("baseline model 'gpt-4.1-mini' differs" in n for n in notes)


def test_the_matching_baseline_is_found_and_a_missing_one_is_said(tmp_path: Path) -> None:
    assert baseline_path("openai", "org/model:v1", tmp_path).name == "openai-org_model_v1.json"
    baseline, note = find_baseline("openai", "gpt-4.1-mini", "outline", tmp_path)
    assert baseline is None and "no baseline for provider 'openai'" in note
    baseline_path("openai", "gpt-4.1-mini", tmp_path).write_text(json.dumps(_report("openai")), "utf-8")
    baseline, note = find_baseline("openai", "gpt-4.1-mini", "outline", tmp_path)
    assert baseline is not None and baseline["provider"] == "openai" and "openai-gpt-4.1-mini.json" in note
    # another prompt's baselines live in a folder of its own; a report of the wrong prompt is refused
    lesson_path = baseline_path("openai", "gpt-4.1-mini", tmp_path, "lesson")
    assert lesson_path == tmp_path / "lesson" / "openai-gpt-4.1-mini.json"
    lesson_path.parent.mkdir()
    lesson_path.write_text(json.dumps(_report("openai")), "utf-8")  # prompt_id says outline
    baseline, note = find_baseline("openai", "gpt-4.1-mini", "lesson", tmp_path)
    assert baseline is None and "not 'lesson'" in note


def test_the_committed_offline_baseline_is_named_for_its_provider_and_model() -> None:
    path = baseline_path("offline", "gpt-4.1-mini")
    assert path.parent == BASELINES_DIR and path.exists()
    data = json.loads(path.read_text("utf-8"))
    assert (data["provider"], data["model"], data["prompt_id"]) == ("offline", "gpt-4.1-mini", "outline")
