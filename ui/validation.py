"""Pydantic's field errors said in the interface language, with the field's label.

core lists each problem as {field, message, type, ctx}; the English `message` is kept for
logs and the CLI, the page shows our own phrase for the error type."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from annotated_types import Ge, Le
from pydantic import BaseModel

from ui.i18n import has, label, t

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
    "dict_type": "verr_object",
    "deck_no_title": "verr_deck_title",
    "content_blocked": "verr_blocked",
    "script_no_title": "verr_script_title",
    "script_empty": "verr_script_empty",
    "script_silent": "verr_script_silent",
    "node_locked": "verr_node_locked",
    "lessons_locked": "verr_lessons_locked",
    "module_deleted": "verr_module_deleted",
    "date_invalid": "verr_date",
    "ids_invalid": "verr_ids",
    "range_reversed": "verr_range",
}


def phrase(error: Mapping[str, Any]) -> str:
    """One problem in the interface language (without the field label)."""
    ctx = dict(error.get("ctx") or {})
    if error.get("type") == "json_invalid":
        return t(
            "verr_json",
            problem=json_problem(str(ctx.get("reason") or ""), ctx.get("line"), ctx.get("column")),
        )
    key = _PHRASES.get(str(error.get("type") or ""))
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


# json's own messages (CPython's json.decoder / _json) -> our key.
_JSON_REASONS = (
    ("Expecting value", "json_expect_value"),
    ("Expecting ',' delimiter", "json_expect_comma"),
    ("Expecting ':' delimiter", "json_expect_colon"),
    ("Expecting property name enclosed in double quotes", "json_expect_name"),
    ("Unterminated string", "json_unterminated"),
    ("Extra data", "json_extra"),
    ("Invalid control character", "json_control"),
    ("Invalid \\", "json_escape"),
)


def json_problem(reason: str, line: object = None, column: object = None) -> str:
    """Where a JSON text breaks and why, in the interface language."""
    key = next((k for start, k in _JSON_REASONS if reason.startswith(start)), "json_other")
    said = t(key)
    return t("json_at", line=line, column=column, reason=said) if line else said


def json_error(exc: json.JSONDecodeError) -> str:
    return json_problem(exc.msg, exc.lineno, exc.colno)


# A path segment followed by an index is said with its number: "slides.0.title" ->
# "Slide 1 · title". Names without a key stay as they are (a variable's own name).
_LINE = re.compile(r"line (\d+)")


def field_name(path: str) -> str:
    """A problem's field path (pydantic's `loc` joined by dots) in the interface language."""
    if match := _LINE.fullmatch(path or ""):
        return t("fld_line", n=int(match[1]))
    parts = [p for p in (path or "").split(".") if p]
    out: list[str] = []
    i = 0
    while i < len(parts):
        name = parts[i]
        following = parts[i + 1] if i + 1 < len(parts) else ""
        if following.isdigit() and has(f"fld_{name}_n"):
            out.append(t(f"fld_{name}_n", n=int(following) + 1))
            i += 2
            continue
        if name.isdigit():
            out.append(t("fld_item_n", n=int(name) + 1))
        elif has(f"fld_{name}"):
            out.append(t(f"fld_{name}"))
        else:
            out.append(label("param", name))
        i += 1
    return " · ".join(out) or "—"


def problem_text(error: Mapping[str, Any] | str) -> str:
    """One problem with its field named, in the interface language (a plain string, which
    older drafts stored, is shown as it is)."""
    if isinstance(error, str):
        return problem_line(error)
    field = str(error.get("field") or "")
    if not field or error.get("type") == "script_silent":  # that field is a scene's own title
        return phrase(error)
    return labelled(error, field_name(field))


# pydantic's English messages (as core's problem lists carry them, "path: message") -> the
# error type and ctx our phrases take; what is not recognised stays as it is.
_PYDANTIC_MESSAGES = (
    (re.compile(r"Field required"), "missing", ()),
    (re.compile(r"String should have at least (\d+) characters?"), "string_too_short", ("min_length",)),
    (re.compile(r"String should have at most (\d+) characters?"), "string_too_long", ("max_length",)),
    (re.compile(r"List should have at least (\d+) items?.*"), "too_short", ("min_length",)),
    (re.compile(r"List should have at most (\d+) items?.*"), "too_long", ("max_length",)),
    (re.compile(r"Input should be greater than or equal to (\S+)"), "greater_than_equal", ("ge",)),
    (re.compile(r"Input should be less than or equal to (\S+)"), "less_than_equal", ("le",)),
    (re.compile(r"Input should be a valid integer.*"), "int_type", ()),
    (re.compile(r"Input should be a valid string"), "string_type", ()),
    (re.compile(r"Input should be a valid dictionary.*"), "dict_type", ()),
    (re.compile(r"Extra inputs are not permitted"), "extra_forbidden", ()),
)
_PROBLEM = re.compile(r"(\(root\)|[\w.]+): (.+)", re.S)
_COUNT = re.compile(r"expected exactly (\d+) (modules|lessons), got (\d+)")
_DURATION = re.compile(
    r"lesson durations add up to (\d+) minutes; they must add up to (\d+) \(within (\d+)%\)"
)
_NOT_JSON = re.compile(r"the answer is not valid JSON: (.+) at position (\d+)")


def _message(text: str) -> str:
    for pattern, kind, names in _PYDANTIC_MESSAGES:
        if match := pattern.fullmatch(text):
            return phrase(
                {"type": kind, "ctx": dict(zip(names, match.groups(), strict=False)), "message": text}
            )
    if match := _COUNT.fullmatch(text):
        return t(f"verr_count_{match[2]}", want=match[1], got=match[3])
    if match := _DURATION.fullmatch(text):
        return t("verr_durations", total=match[1], want=match[2], pct=match[3])
    return text


def problem_line(text: str) -> str:
    """One problem line core wrote in English ("modules.0.title: String should have at
    least 2 characters"), said in the interface language where its shape is known."""
    text = text.strip()
    if match := _NOT_JSON.fullmatch(text):
        return t("verr_not_json", problem=json_problem(match[1]))
    if match := _PROBLEM.fullmatch(text):
        path, message = match[1], match[2]
        name = t("fld_root") if path == "(root)" else field_name(path)
        return t("verr_field", field=name, problem=_message(message))
    return _message(text)
