"""Prices per model (dated snapshots included) and token estimates without a download."""

from __future__ import annotations

import logging

import pytest

from core.llm.pricing import PRICES, cost_usd, estimate_tokens, price_for


def test_cost_uses_input_cached_and_output_rates() -> None:
    # gpt-4.1-mini: $0.40 input, $0.10 cached input, $1.60 output per 1M tokens.
    assert cost_usd("gpt-4.1-mini", 1_000_000, 0, 0) == pytest.approx(0.40)
    assert cost_usd("gpt-4.1-mini", 1_000_000, 1_000_000, 0) == pytest.approx(0.10)
    assert cost_usd("gpt-4.1-mini", 0, 0, 1_000_000) == pytest.approx(1.60)
    # Cached tokens are part of the input: 600k fresh + 400k cached + 200k output.
    expected = (600_000 * 0.40 + 400_000 * 0.10 + 200_000 * 1.60) / 1_000_000
    assert cost_usd("gpt-4.1-mini", 1_000_000, 400_000, 200_000) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"),
        ("gpt-4.1-2025-04-14", "gpt-4.1"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-5-mini-2025-08-07", "gpt-5-mini"),
        ("o4-mini-2025-04-16", "o4-mini"),
        ("gpt-3.5-turbo-0125", "gpt-3.5-turbo"),
        ("GPT-4.1-NANO", "gpt-4.1-nano"),
    ],
)
def test_dated_snapshots_resolve_to_their_family(model: str, family: str) -> None:
    assert price_for(model) == PRICES[family]


def test_a_mini_model_never_gets_the_big_model_price() -> None:
    assert price_for("gpt-4o-mini") != price_for("gpt-4o")
    assert price_for("gpt-5-mini-2025-08-07") == PRICES["gpt-5-mini"]


def test_offline_is_free_and_unknown_models_cost_zero_with_one_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert cost_usd("offline", 10_000, 0, 10_000) == 0.0
    with caplog.at_level(logging.WARNING, logger="core.llm.pricing"):
        assert cost_usd("my-local-llama", 1000, 0, 1000) == 0.0
        assert cost_usd("my-local-llama", 1000, 0, 1000) == 0.0
    warnings = [r for r in caplog.records if "my-local-llama" in r.getMessage()]
    assert len(warnings) == 1


def test_odd_token_counts_are_clamped() -> None:
    assert cost_usd("gpt-4o", -5, 0, -1) == 0.0
    # More cached than input (a buggy server): bill all input at the cached rate, no more.
    assert cost_usd("gpt-4o", 1000, 5000, 0) == pytest.approx(1000 * 1.25 / 1_000_000)


def test_estimate_tokens_by_script() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("a") == 1
    english = "The quick brown fox jumps over the lazy dog. " * 20
    assert 180 <= estimate_tokens(english) <= 260  # ~4 characters per token
    russian = "Съешь же ещё этих мягких французских булок, да выпей чаю. " * 10
    assert estimate_tokens(russian) > len(russian) / 4  # Cyrillic is denser than Latin
    chinese = "我们今天学习如何写一个好的课程大纲。"
    assert estimate_tokens(chinese) >= len(chinese) * 0.9
