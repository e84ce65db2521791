"""What a call cost, from a price table; token estimates that need no download."""

from __future__ import annotations

import logging
import math
import re
import threading
from typing import NamedTuple

log = logging.getLogger(__name__)


class Price(NamedTuple):
    """USD per 1M tokens."""

    input: float
    cached_input: float
    output: float


# OpenAI list prices (standard tier). Update here when OpenAI changes them; dated
# snapshots ("gpt-4.1-mini-2025-04-14") resolve to their family below.
PRICES: dict[str, Price] = {
    "gpt-5": Price(1.25, 0.125, 10.00),
    "gpt-5-mini": Price(0.25, 0.025, 2.00),
    "gpt-5-nano": Price(0.05, 0.005, 0.40),
    "gpt-5.1": Price(1.25, 0.125, 10.00),
    "gpt-4.1": Price(2.00, 0.50, 8.00),
    "gpt-4.1-mini": Price(0.40, 0.10, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.025, 0.40),
    "gpt-4o": Price(2.50, 1.25, 10.00),
    "gpt-4o-mini": Price(0.15, 0.075, 0.60),
    "o4-mini": Price(1.10, 0.275, 4.40),
    "o3": Price(2.00, 0.50, 8.00),
    "o3-mini": Price(1.10, 0.55, 4.40),
    "o1": Price(15.00, 7.50, 60.00),
    "gpt-3.5-turbo": Price(0.50, 0.50, 1.50),
}
FREE_MODELS = frozenset({"offline"})

# A snapshot suffix: "-2025-04-14" or the older "-0125" style.
_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")
_warned: set[str] = set()
_warned_lock = threading.Lock()


def price_for(model: str) -> Price | None:
    """The table entry for a model or its dated snapshot; None when unknown."""
    name = model.strip().lower().removeprefix("openai/")
    if name in PRICES:
        return PRICES[name]
    # Only strip a date: "gpt-4o-mini" must never fall back to "gpt-4o" by plain prefix.
    base = _SNAPSHOT.sub("", name)
    return PRICES.get(base)


def cost_usd(model: str, input_tokens: int, cached_tokens: int, output_tokens: int) -> float:
    """Cost of one call. Cached tokens are part of input tokens, billed at the cached rate."""
    if model in FREE_MODELS:
        return 0.0
    price = price_for(model)
    if price is None:
        _warn_unknown(model)
        return 0.0
    input_tokens = max(0, input_tokens)
    cached = min(max(0, cached_tokens), input_tokens)
    total = (
        (input_tokens - cached) * price.input
        + cached * price.cached_input
        + max(0, output_tokens) * price.output
    )
    return round(total / 1_000_000, 8)


def _warn_unknown(model: str) -> None:
    with _warned_lock:
        if model in _warned:
            return
        _warned.add(model)
    log.warning("no price known for model %r; its calls are recorded at cost 0", model)


def _chars_per_token(ch: str) -> float:
    """Rough tokenizer density by script (o200k/cl100k averages)."""
    code = ord(ch)
    if code < 0x80:
        return 4.0
    if 0x0400 <= code <= 0x052F:  # Cyrillic
        return 2.8
    if (
        0x3040 <= code <= 0x30FF  # kana
        or 0x3400 <= code <= 0x9FFF  # CJK ideographs
        or 0xAC00 <= code <= 0xD7AF  # Hangul
        or 0xF900 <= code <= 0xFAFF
    ):
        return 1.0
    return 2.5  # other scripts and symbols: denser than Latin


def estimate_tokens(text: str) -> int:
    """An estimate of the token count without tiktoken (which downloads at run time)."""
    if not text:
        return 0
    return max(1, math.ceil(sum(1 / _chars_per_token(ch) for ch in text)))
