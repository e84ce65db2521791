"""What a call cost, from a price table; token estimates that need no download."""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NamedTuple

import yaml

from core.settings import get_settings

log = logging.getLogger(__name__)


class Price(NamedTuple):
    """USD per 1M tokens."""

    input: float
    cached_input: float
    output: float


@dataclass(frozen=True)
class PriceEntry:
    model: str
    price: Price
    effective_date: date


SHIPPED_PRICES_FILE = Path(__file__).with_name("prices.yaml")
FREE_MODELS = frozenset({"offline"})

# A snapshot suffix: "-2025-04-14" or the older "-0125" style.
_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")
_warned: set[str] = set()
_warned_lock = threading.Lock()
_tables: dict[str, dict[str, list[PriceEntry]]] = {}
_tables_lock = threading.Lock()


def load_prices(path: Path) -> dict[str, list[PriceEntry]]:
    """Entries per model, oldest first. Refuses a file with a missing or negative price."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    rows = data.get("prices") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise ValueError(f"{path}: expected a 'prices' list of model entries")
    table: dict[str, list[PriceEntry]] = {}
    for i, row in enumerate(rows):
        try:
            model = str(row["model"]).strip().lower()
            price = Price(float(row["input"]), float(row["cached_input"]), float(row["output"]))
            when = row["effective_date"]
            when = when if isinstance(when, date) else date.fromisoformat(str(when))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"{path}: prices[{i}] needs model, input, cached_input, output, effective_date ({exc})"
            ) from None
        if min(price) < 0:
            raise ValueError(f"{path}: prices[{i}] ({model}) has a negative price")
        table.setdefault(model, []).append(PriceEntry(model, price, when))
    for entries in table.values():
        entries.sort(key=lambda e: e.effective_date)
    return table


def file_table() -> dict[str, list[PriceEntry]]:
    """The shipped prices: PRICES_FILE when set, else prices.yaml (read once per path)."""
    path = get_settings().PRICES_FILE or SHIPPED_PRICES_FILE
    key = str(path)
    with _tables_lock:
        if key not in _tables:
            _tables[key] = load_prices(Path(path))
        return _tables[key]


def price_table(db_url: str | None = None) -> dict[str, list[PriceEntry]]:
    """The prices in use: the file, with the prices admins set (model_prices, in the
    configured database or `db_url`) over it; an admin price on the same model and day
    replaces the file's."""
    admin = admin_entries(db_url)
    base = file_table()
    if not admin:
        return base
    key = (id(base), admin)
    with _tables_lock:
        if _merged and _merged[0] == key:
            return _merged[1]
    merged = {model: {e.effective_date: e for e in entries} for model, entries in base.items()}
    for entry in admin:
        merged.setdefault(entry.model, {})[entry.effective_date] = entry
    table = {model: sorted(days.values(), key=lambda e: e.effective_date) for model, days in merged.items()}
    with _tables_lock:
        _merged[:] = [key, table]
    return table


# Admin prices, cached per database. Admins may only add prices for days still to come
# (core/services/prices.py), so a cache loaded today already holds every price in effect
# today: it is reloaded when the UTC day changes, after a short while for the page's sake,
# and at once in the process that wrote.
ADMIN_PRICES_TTL_S = 60.0
_admin: dict[str, tuple[date, float, tuple[PriceEntry, ...]]] = {}
_admin_lock = threading.Lock()
_merged: list = []  # [(file table id, admin entries), merged table]: the last merge
_unread: set[str] = set()


def admin_entries(db_url: str | None = None) -> tuple[PriceEntry, ...]:
    url = db_url or str(get_settings().DATABASE_URL)
    today = datetime.now(UTC).date()
    now = time.monotonic()
    with _admin_lock:
        cached = _admin.get(url)
        if cached is not None and cached[0] == today and now - cached[1] < ADMIN_PRICES_TTL_S:
            return cached[2]
    entries = _read_admin_entries(url)
    with _admin_lock:
        _admin[url] = (today, now, entries)
    return entries


def invalidate_admin_prices() -> None:
    with _admin_lock:
        _admin.clear()
        _unread.clear()


def _read_admin_entries(url: str) -> tuple[PriceEntry, ...]:
    # Imported here: the database layer imports the models, and pricing is imported early.
    from sqlalchemy.exc import SQLAlchemyError
    from sqlmodel import select

    from core.db import session_scope
    from core.models import ModelPrice

    try:
        with session_scope(url, readonly=True) as session:
            rows = session.exec(select(ModelPrice)).all()
    except SQLAlchemyError as exc:
        # A database not migrated yet (or away): the file's prices still price every call.
        if url not in _unread:
            _unread.add(url)
            log.warning("admin prices not read (%s); using the prices file only", type(exc).__name__)
        return ()
    return tuple(
        PriceEntry(r.model, Price(r.input, r.cached_input, r.output), r.effective_from) for r in rows
    )


def current_prices() -> list[PriceEntry]:
    """The entry in effect today for every model in the table, for the Costs page."""
    today = datetime.now(UTC).date()
    out = []
    for model in sorted(price_table()):
        entry = _entry(model, today)
        if entry is not None:
            out.append(entry)
    return out


def _entry(model: str, on: date, db_url: str | None = None) -> PriceEntry | None:
    entries = price_table(db_url).get(model)
    if not entries:
        return None
    in_effect = [e for e in entries if e.effective_date <= on]
    # A call dated before the first known price uses the earliest one we have.
    return in_effect[-1] if in_effect else entries[0]


# Today's prices from the shipped file (kept for callers that read the table directly).
PRICES: dict[str, Price] = {
    model: max(entries, key=lambda e: e.effective_date).price
    for model, entries in load_prices(SHIPPED_PRICES_FILE).items()
}


def price_for(model: str, at: datetime | date | None = None, *, db_url: str | None = None) -> Price | None:
    """The price in effect at `at` (default: now) for a model or its dated snapshot; None
    when unknown. `db_url`: whose admin prices count (default: the configured database)."""
    on = at.date() if isinstance(at, datetime) else at or datetime.now(UTC).date()
    name = model.strip().lower().removeprefix("openai/")
    entry = _entry(name, on, db_url)
    if entry is None:
        # Only strip a date: "gpt-4o-mini" must never fall back to "gpt-4o" by plain prefix.
        entry = _entry(_SNAPSHOT.sub("", name), on, db_url)
    return entry.price if entry else None


def cost_usd(
    model: str, input_tokens: int, cached_tokens: int, output_tokens: int, at: datetime | None = None
) -> float:
    """Cost of one call. Cached tokens are part of input tokens, billed at the cached rate."""
    if model in FREE_MODELS:
        return 0.0
    price = price_for(model, at)
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
