"""Model prices with dates, as data admins edit: a new price starts on a day still to come
and is layered over the shipped prices file (core/llm/pricing.py reads both).

Why only days to come: every call's cost is recorded when it finishes, at the price in
effect that day. A price for today or earlier would disagree with what was already
recorded, and recorded costs are never rewritten (the Costs page's "reprice" tab shows
what a period would cost at today's prices instead). For the same reason a price can be
withdrawn only before its day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.auth import Actor, Can, require
from core.errors import AppError, Code, InvalidInput, field_errors
from core.llm.pricing import file_table, invalidate_admin_prices
from core.models import ModelPrice

# Prices are entered per 1M tokens; the dearest model ever listed (o1-pro output) is $600.
MAX_PRICE_USD = 10_000.0
# How far ahead a price may be scheduled: far enough for any announced change.
MAX_DAYS_AHEAD = 366 * 2


def _today() -> date:
    return datetime.now(UTC).date()


class NewPrice(BaseModel):
    """What the admin form sends: USD per 1M tokens, from a day on (UTC)."""

    model_config = ConfigDict(str_strip_whitespace=True, protected_namespaces=())

    # A model id as the provider spells it ("gpt-4.1-mini-2025-04-14", "ft:gpt-4o:org:x:1").
    model: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9._:/-]*$")
    input: float = Field(ge=0, le=MAX_PRICE_USD, allow_inf_nan=False)
    cached_input: float = Field(ge=0, le=MAX_PRICE_USD, allow_inf_nan=False)
    output: float = Field(ge=0, le=MAX_PRICE_USD, allow_inf_nan=False)
    effective_from: date
    note: str = Field(default="", max_length=200)

    @field_validator("model", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        # Lookups are case-blind (pricing.price_for lowers the name).
        return value.strip().lower() if isinstance(value, str) else value


def _problem(field: str, kind: str, message: str, **ctx: Any) -> dict[str, Any]:
    # `type` and `ctx` let the page say it in the interface language (ui/prices.py).
    return {"field": field, "message": message, "type": kind, "ctx": ctx}


def _problems(errors: list[dict[str, str]]) -> InvalidInput:
    return InvalidInput(
        "the price is not saved: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors), errors
    )


def set_price(
    session: Session, data: NewPrice | dict[str, Any], *, actor: Actor, today: date | None = None
) -> ModelPrice:
    """Schedule a model's price from a day to come on; refuses (E.VALIDATION) a past or
    present day, a cached rate above the input rate and a second price on the same day."""
    require(actor, Can.manage_prices)
    try:
        new = data if isinstance(data, NewPrice) else NewPrice.model_validate(data)
    except ValidationError as exc:
        raise _problems(field_errors(exc)) from None
    today = today or _today()
    errors: list[dict[str, str]] = []
    if new.effective_from <= today:
        first = (today + timedelta(days=1)).isoformat()
        errors.append(
            _problem(
                "effective_from",
                "price_not_ahead",
                f"a new price starts on a day still to come ({first} or later): calls already "
                "recorded keep the price they were charged",
                first=first,
            )
        )
    elif new.effective_from > today + timedelta(days=MAX_DAYS_AHEAD):
        errors.append(
            _problem(
                "effective_from", "price_too_far", f"at most {MAX_DAYS_AHEAD} days ahead", days=MAX_DAYS_AHEAD
            )
        )
    if new.cached_input > new.input:
        errors.append(
            _problem("cached_input", "price_cached_above", "cached input costs at most the input price")
        )
    if not errors:
        taken = session.exec(
            select(ModelPrice).where(
                ModelPrice.model == new.model, ModelPrice.effective_from == new.effective_from
            )
        ).first()
        if taken is not None:
            errors.append(
                _problem(
                    "effective_from",
                    "price_day_taken",
                    f"{new.model} already has a price from {new.effective_from} (set by "
                    f"{taken.created_by}); withdraw it first",
                    model=new.model,
                    day=new.effective_from.isoformat(),
                    by=taken.created_by,
                )
            )
    if errors:
        raise _problems(errors)
    row = ModelPrice(**new.model_dump(), created_by=actor.label)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        # Another admin saved the same model and day a moment ago (the unique key decides).
        raise _problems(
            [
                _problem(
                    "effective_from",
                    "price_day_taken",
                    f"{new.model} already has a price from {new.effective_from}; withdraw it first",
                    model=new.model,
                    day=new.effective_from.isoformat(),
                    by="",
                )
            ]
        ) from None
    invalidate_admin_prices()
    return row


def withdraw_price(session: Session, price_id: int, *, actor: Actor, today: date | None = None) -> None:
    """Remove a scheduled price before its day; one in effect stays (add a newer one)."""
    require(actor, Can.manage_prices)
    row = session.get(ModelPrice, price_id)
    if row is None:
        raise AppError(Code.NOT_FOUND, f"no admin price #{price_id}")
    today = today or _today()
    if row.effective_from <= today:
        raise AppError(
            Code.VALIDATION,
            f"the price of {row.model} from {row.effective_from} is already in effect and calls were "
            "charged at it; schedule a new price instead",
            details={"type": "price_in_effect", "model": row.model, "day": row.effective_from.isoformat()},
        )
    session.delete(row)
    session.flush()
    invalidate_admin_prices()


@dataclass(frozen=True)
class PriceRow:
    model: str
    input: float
    cached_input: float
    output: float
    effective_from: date
    source: str  # "file" or "admin"
    status: str  # "past", "current" or "scheduled"
    admin_id: int | None = None
    created_by: str = ""
    note: str = ""


def price_history(session: Session, *, today: date | None = None) -> list[PriceRow]:
    """Every price, shipped and admin-set, newest first per model, with what is in effect."""
    today = today or _today()
    admin = list(session.exec(select(ModelPrice).order_by(col(ModelPrice.model))).all())
    taken = {(r.model, r.effective_from) for r in admin}
    rows = [
        (e.model, e.price.input, e.price.cached_input, e.price.output, e.effective_date, "file", None, "", "")
        for entries in file_table().values()
        for e in entries
        if (e.model, e.effective_date) not in taken
    ] + [
        (r.model, r.input, r.cached_input, r.output, r.effective_from, "admin", r.id, r.created_by, r.note)
        for r in admin
    ]
    rows.sort(key=lambda r: (r[0], r[4]))
    out: list[PriceRow] = []
    for i, (model, pin, pcached, pout, day, source, ident, by, note) in enumerate(rows):
        nxt = rows[i + 1] if i + 1 < len(rows) and rows[i + 1][0] == model else None
        if day > today:
            status = "scheduled"
        elif nxt is None or nxt[4] > today:
            status = "current"
        else:
            status = "past"
        out.append(PriceRow(model, pin, pcached, pout, day, source, status, ident, by, note))
    out.sort(key=lambda r: (r.model, -r.effective_from.toordinal()))
    return out
