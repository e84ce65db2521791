"""Pydantic's field errors said in the interface language, with the field's label.

core lists each problem as {field, message, type, ctx}; the English `message` is kept for
logs and the CLI, the page shows our own phrase for the error type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from annotated_types import Ge, Le
from pydantic import BaseModel

from ui.i18n import has, t

# pydantic error type -> our key; the ctx values fill the phrase.
_PHRASES = {
    "missing": "verr_missing",
    "string_too_short": "verr_too_short",
    "string_too_long": "verr_too_long",
    "greater_than_equal": "verr_ge",
    "greater_than": "verr_gt",
    "less_than_equal": "verr_le",
    "less_than": "verr_lt",
    "int_parsing": "verr_int",
    "int_type": "verr_int",
    "int_from_float": "verr_int",
    "float_parsing": "verr_number",
    "float_type": "verr_number",
    "enum": "verr_choice",
    "literal_error": "verr_choice",
    "string_type": "verr_text",
    "too_short": "verr_list_short",
    "too_long": "verr_list_long",
    "extra_forbidden": "verr_extra",
}


def phrase(error: Mapping[str, Any]) -> str:
    """One problem in the interface language (without the field label)."""
    key = _PHRASES.get(str(error.get("type") or ""))
    ctx = dict(error.get("ctx") or {})
    if key and has(key):
        try:
            return t(key, **ctx)
        except (KeyError, IndexError):
            pass
    # A rule of our own (no pydantic type): its message is the most precise thing to show.
    return str(error.get("message") or "") or t("verr_invalid")


def labelled(error: Mapping[str, Any], label: str) -> str:
    return t("verr_field", field=label, problem=phrase(error))


def limits(model: type[BaseModel], field: str) -> tuple[int | None, int | None]:
    """The schema's ge/le bounds of a numeric field, so widgets use the very same limits."""
    low = high = None
    for meta in model.model_fields[field].metadata:
        if isinstance(meta, Ge):
            low = int(meta.ge)  # type: ignore[arg-type]
        if isinstance(meta, Le):
            high = int(meta.le)  # type: ignore[arg-type]
    return low, high
