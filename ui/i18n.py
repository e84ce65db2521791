"""UI strings in English and Russian through gettext catalogs (Babel).

The catalogs are `locales/<lang>/LC_MESSAGES/messages.po`; message ids are stable keys
(`t("nav_courses")`), the English catalog holds the English text. They are compiled to .mo
in memory when first used, so a fresh checkout needs no build step. `tn()` picks a plural
form by the language's rules ("1 модуль", "3 модуля", "5 модулей"). New keys: add `t("key")`
in code, then `bash scripts/i18n.sh` (pybabel extract + update) and fill both catalogs;
tests/unit/test_i18n.py fails on any key without a Russian translation.
Course content language is a course parameter; this is only the interface."""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

import streamlit as st
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parents[1] / "locales"
LANGUAGES = ("en", "ru")

# Keys other branches add the old way, as (English, Russian): served when a catalog lacks
# them, and counted by the catalog test. Move them into locales/*.po when merging.
_STRINGS: dict[str, tuple[str, str]] = {}


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of a language (.po -> .mo in memory, once per process)."""
    po = LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def current_lang() -> str:
    lang = str(st.session_state.get("ui.lang", "en"))
    return lang if lang in LANGUAGES else "en"


def text_for(lang: str, key: str) -> str | None:
    """A key's text in one language, or None when no catalog or legacy entry has it."""
    found = translations(lang).gettext(key)
    if found != key:
        return found
    legacy = _STRINGS.get(key)
    if legacy is not None:
        return legacy[LANGUAGES.index(lang)]
    return None


def has(key: str) -> bool:
    return text_for("en", key) is not None


def t(key: str, **values: object) -> str:
    """The key's text in the interface language (English, then the key, if missing)."""
    text = text_for(current_lang(), key) or text_for("en", key) or key
    return text.format(**values) if values else text


def tn(key: str, n: int, **values: object) -> str:
    """A plural phrase: `tn("n_modules", 3)` -> "3 модуля"; `{n}` is filled in."""
    lang = current_lang()
    text = translations(lang).ngettext(key, key, n)
    if text == key:
        text = translations("en").ngettext(key, key, n)
    return text.format(n=n, **values)


def label(prefix: str, value: object, *, lang: str | None = None) -> str:
    """The translated name of an enum-like value (`label("kind", "outline")`), or the value
    itself when there is no key for it. `lang` pins the language (a widget's format_func
    bound when it is drawn, so it never depends on who calls it later)."""
    key = f"{prefix}_{value}"
    if not has(key):
        return str(value)
    if lang is not None:
        return text_for(lang, key) or text_for("en", key) or key
    return t(key)


def _all(lang: str) -> dict[str, str]:
    po = LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    table = {str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.id, str)}
    return table | {k: v[LANGUAGES.index(lang)] for k, v in _STRINGS.items()}


# Every singular key per language, for tests and for code that lists them.
STRINGS: dict[str, dict[str, str]] = {lang: _all(lang) for lang in LANGUAGES}
STEPS: dict[str, dict[str, str]] = {
    lang: {k.removeprefix("wstep_"): v for k, v in STRINGS[lang].items() if k.startswith("wstep_")}
    for lang in LANGUAGES
}
