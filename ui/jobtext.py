"""What jobs, revisions and errors say, in the interface language.

core writes steps, notes and error details in English (they go to logs and the CLI too);
the UI recognises the shapes core writes and says them with our own phrases. Anything it
does not recognise is shown as it is, under the translated heading."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from core.errors import Code
from core.exporters import EXPORTERS
from ui.i18n import has, label, t
from ui.text import md_escape

_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def _rules(*pairs: tuple[str, Callable[[re.Match[str]], str]]) -> list[_Rule]:
    return [(re.compile(p, re.S), fn) for p, fn in pairs]


def _say(text: str, rules: list[_Rule]) -> str:
    for pattern, fn in rules:
        match = pattern.fullmatch(text.strip())
        if match:
            return fn(match)
    return text


def error_message(code: str | None) -> str:
    """The plain-language sentence for an error code (a generic one for unknown codes)."""
    key = f"error_{code}"
    return t(key) if code and has(key) else t("error_unknown")


def error_action(code: str | None) -> str:
    key = f"action_{code}"
    return t(key) if code and has(key) else t("action_unknown")


_STEP_DETAILS = _rules(
    (r"written by an earlier attempt", lambda m: t("sd_earlier_attempt")),
    (r"(\d+) modules", lambda m: t("sd_modules", n=m[1])),
    (
        r"([A-Z][\w.]+): kept the model's answer as a draft",
        lambda m: t("sd_kept_draft", what=error_message(m[1])),
    ),
    (r"the answer did not validate; kept as a draft", lambda m: t("sd_invalid_draft")),
    (r"edited meanwhile; result kept as a proposal", lambda m: t("sd_kept_proposal")),
    (r"already written", lambda m: t("sd_already_written")),
    (r"locked", lambda m: t("sd_locked")),
    (r"proposal ready", lambda m: t("sd_proposal_ready")),
    (r"(\d+) bytes", lambda m: t("sd_bytes", n=m[1])),
    (r"(\d+)/(\d+) runs", lambda m: t("sd_runs", done=m[1], total=m[2])),
    (r"no score dropped", lambda m: t("sd_no_drop")),
    (r"dropped: (.*)", lambda m: t("sd_dropped", names=m[1])),
    (r"(E\.[A-Z_.]+): .*", lambda m: error_message(m[1])),
    (r"(E\.[A-Z_.]+)", lambda m: error_message(m[1])),
)


def step_label(step: Mapping[str, Any]) -> str:
    name = str(step.get("name") or "")
    text = str(step.get("label") or name)
    kind, _, rest = name.partition(":")
    if name == "outline":
        return t("sl_outline")
    if kind in ("lesson", "slides") and rest.isdigit():
        # core's label is "Lesson 1.2 Title" / "Slides 1.2 Title": keep the number and title.
        tail = text.split(" ", 1)[1] if " " in text else text
        if kind == "lesson" and text.startswith("Lesson "):
            return t("sl_lesson", what=tail)
        if kind == "slides" and text.startswith("Slides "):
            return t("sl_slides", what=tail)
        if text.startswith("Regenerate "):
            return t("sl_regenerate", what=label("node", kind), id=rest)
    if kind == "module" and rest.isdigit():
        return t("sl_regenerate", what=label("node", kind), id=rest)
    if kind == "build" and rest:
        return t("sl_build", what=label("format", rest))
    if name == "build":
        names = {e.label: e.name for e in EXPORTERS.values()}
        fmt = text.removeprefix("Build ")
        return t("sl_build", what=label("format", names[fmt]) if fmt in names else fmt)
    if name == "write":
        return t("sl_write")
    if name == "eval":
        return t("sl_eval", what=text.removeprefix("Evaluate "))
    if text.startswith("Run ") and text.removeprefix("Run ") == name:
        return t("sl_run", what=name)
    return text


def step_detail(step: Mapping[str, Any]) -> str:
    detail = str(step.get("detail") or "")
    return _say(detail, _STEP_DETAILS) if detail else ""


_NOTES = _rules(
    (r"duplicated from course (\d+)", lambda m: t("note_duplicated", id=m[1])),
    (r"imported from course (\d+)", lambda m: t("note_imported_from", id=m[1])),
    (r"imported", lambda m: t("note_imported")),
    (r"restored from revision (\d+)", lambda m: t("note_restored", id=m[1])),
    (r"deleted", lambda m: t("note_deleted")),
    (r"title and summary", lambda m: t("note_title_summary")),
    (r"accepted from a fixed draft", lambda m: t("note_fixed_draft")),
    (r"undone delete by (.+)", lambda m: t("note_undeleted", who=m[1])),
    (r"invalid: (.*)", lambda m: t("note_invalid", problems=m[1])),
    (r"(.*?) ?accepted by (.+)", lambda m: _joined(m[1], t("note_accepted", who=m[2]))),
    (r"(.*?) ?rejected by (.+)", lambda m: _joined(m[1], t("note_rejected", who=m[2]))),
    (r"instruction: (.*)", lambda m: t("note_instruction", text=m[1])),
)


def _joined(first: str, second: str) -> str:
    first = note_text(first) if first else ""
    return f"{first} · {second}" if first else second


def note_text(note: str) -> str:
    """A revision's note in the interface language; the people's own words stay as typed."""
    return _say(note, _NOTES) if note else ""


_SAYS_WHAT_IS_WRONG = {
    Code.VALIDATION,
    Code.IMPORT_INVALID,
    Code.PROMPT_INVALID,
    # issue 9: who was refused what, which cap, which construct, what the policy found
    Code.AUTH_FORBIDDEN,
    Code.AUTH_NOT_ALLOWED,
    Code.BUDGET_CAP,
    Code.TEMPLATE_REFUSED,
    Code.CONTENT_BLOCKED,
    Code.HEYGEN_BLOCKED_WORDS,
}


def show_app_error(
    code: str | None, detail: object = None, *, canceled_ok: bool = True, warning: bool = False
) -> None:
    """An error a person can act on: what happened and what to do, in their language; the
    code and the technical detail behind an expander. A cancel is not an error; `warning`
    is for a job that ended partial (issue 10): part of its work is done."""
    text = f"{error_message(code)} {error_action(code)}"
    if canceled_ok and code == Code.JOB_CANCELED:
        st.info(text, icon=":material/block:")
    elif warning:
        st.warning(text, icon=":material/warning:")
    else:
        st.error(text, icon=":material/error:")
    if code in _SAYS_WHAT_IS_WRONG and isinstance(detail, str) and detail:
        # Bad input: the detail names what to fix (a missing template layout), so it stays in view.
        st.caption(md_escape(detail))
    if detail or code:
        with st.expander(t("error_details")):
            st.caption(t("error_code", code=code or "—"))
            if isinstance(detail, list):
                for item in detail:
                    st.caption("• " + md_escape(str(item)))
            elif detail:
                st.caption(md_escape(str(detail)))
