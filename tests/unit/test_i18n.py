"""The UI catalogs: every message id the code uses has an English and a Russian text,
plurals follow each language's rules, every error code can be said in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit as st
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from core.errors import Code
from ui import i18n

ROOT = Path(__file__).resolve().parents[2]
CYRILLIC = re.compile("[а-яА-ЯёЁ]")


def _catalog(lang: str):  # type: ignore[no-untyped-def]
    with (ROOT / "locales" / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


def _used_keys() -> set[str]:
    """What `pybabel extract` (scripts/i18n.sh) finds in the code, ui/catalog_keys.py included."""
    keys: set[str] = set()
    method_map = [("app.py", "python"), ("pages/**.py", "python"), ("ui/**.py", "python")]
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT), method_map=method_map, keywords={"t": None, "tn": (1, 1), "N_": None, "NN_": (1, 2)}
    ):
        keys.add(message if isinstance(message, str) else message[0])
    return keys


@pytest.fixture(autouse=True)
def _lang() -> object:
    yield
    st.session_state.pop("ui.lang", None)


def test_code_uses_keys_and_finds_them() -> None:
    keys = _used_keys()
    assert len(keys) > 200, "extraction found the t() calls"
    assert "nav_courses" in keys and "n_modules" in keys


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_message_id_in_the_code_is_translated(lang: str) -> None:
    catalog = _catalog(lang)
    missing = []
    for key in sorted(_used_keys()):
        message = catalog.get(key)
        strings = (
            []
            if message is None
            else (list(message.string) if isinstance(message.string, tuple) else [message.string])
        )
        if key in i18n._STRINGS:  # the legacy table other branches may still add to
            continue
        if not strings or not all(strings):
            missing.append(key)
    assert not missing, f"{lang}: no translation for {missing}"


def test_every_english_entry_has_a_russian_one() -> None:
    en, ru = _catalog("en"), _catalog("ru")
    for message in en:
        if not message.id:
            continue
        other = ru.get(message.id)
        assert other is not None and other.string, f"no Russian text for {message.id!r}"
        forms = other.string if isinstance(other.string, tuple) else (other.string,)
        assert all(forms), f"a Russian plural form of {message.id!r} is empty"
    legacy_without_ru = [k for k, (_en, ru_text) in i18n._STRINGS.items() if not ru_text]
    assert not legacy_without_ru


def test_russian_texts_are_russian() -> None:
    """A Russian entry that is a copy of the English one is an untranslated entry."""
    allowed = {"verr_field", "pg_label_points"}  # pure placeholders and punctuation
    ru = _catalog("ru")
    english = _catalog("en")
    for message in ru:
        if not message.id or message.id in allowed:
            continue
        text = message.string if isinstance(message.string, str) else message.string[0]
        en_text = english.get(message.id)
        en_value = en_text.string if en_text and isinstance(en_text.string, str) else None
        if CYRILLIC.search(text) is None:
            assert text != en_value or not re.search("[A-Za-z]{3,}", text), (message.id, text)


def test_russian_plural_forms() -> None:
    st.session_state["ui.lang"] = "ru"
    got = [i18n.tn("n_modules", n) for n in (1, 3, 5, 11, 21, 22, 25)]
    assert got == ["1 модуль", "3 модуля", "5 модулей", "11 модулей", "21 модуль", "22 модуля", "25 модулей"]
    st.session_state["ui.lang"] = "en"
    assert [i18n.tn("n_modules", n) for n in (1, 3)] == ["1 module", "3 modules"]


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_every_error_code_has_a_message_and_an_action(lang: str) -> None:
    from ui.jobtext import error_action, error_message

    st.session_state["ui.lang"] = lang
    for code in Code:
        assert i18n.has(f"error_{code}") and i18n.has(f"action_{code}"), code
        message, action = error_message(code), error_action(code)
        assert message != i18n.t("error_unknown") and action
        if lang == "ru":
            assert CYRILLIC.search(message) and CYRILLIC.search(action), code


def test_pydantic_errors_are_said_in_russian_with_the_field_label() -> None:
    from core.errors import InvalidInput
    from core.services.courses import validate_params
    from ui.validation import labelled

    st.session_state["ui.lang"] = "ru"
    with pytest.raises(InvalidInput) as caught:
        validate_params({"topic": "x", "module_count": 0, "lessons_per_module": "abc", "level": "Начальный"})
    said = {e["field"]: labelled(e, i18n.t("param_" + e["field"])) for e in caught.value.errors}
    assert said["topic"] == "Тема: введите не меньше 3 символов"
    assert said["module_count"] == "Модулей: должно быть не меньше 1"
    assert said["lessons_per_module"] == "Уроков в модуле: введите целое число"
    assert said["level"] == "Уровень: выберите одно из предложенных значений"


def test_widget_limits_are_the_schemas() -> None:
    from core.schemas import CourseParams, OutlineLesson
    from ui.validation import limits

    assert limits(CourseParams, "total_duration_minutes") == (15, 6000)
    assert limits(CourseParams, "module_count") == (1, 20)
    assert limits(CourseParams, "lessons_per_module") == (1, 15)
    assert limits(OutlineLesson, "duration_minutes") == (1, 600)


def test_job_steps_and_notes_are_translated() -> None:
    from ui.jobtext import note_text, step_detail, step_label

    st.session_state["ui.lang"] = "ru"
    assert step_label({"name": "lesson:7", "label": "Lesson 1.2 Reading CSV"}) == "Урок 1.2 Reading CSV"
    assert step_label({"name": "outline", "label": "Course structure"}) == "Структура курса"
    assert step_label({"name": "build", "label": "Build Markdown (ZIP)"}) == "Сборка: Markdown (архив ZIP)"
    assert step_detail({"detail": "written by an earlier attempt"}) == "написано предыдущей попыткой"
    assert "Ответ сохранён как черновик" in step_detail(
        {"detail": "E.LLM.INVALID_OUTPUT: kept the model's answer as a draft"}
    )
    assert note_text("restored from revision 12") == "восстановлено из ревизии #12"
    assert note_text("shorter accepted by ann") == "shorter · принято: ann"


def test_diffs_collapse_unchanged_runs_and_do_not_renumber_slides() -> None:
    from core.services.revisions import content_text, diff
    from ui.history import collapse_unchanged

    st.session_state["ui.lang"] = "en"
    old = "\n".join(f"line {i}" for i in range(40))
    new = old.replace("line 20", "line twenty")
    pairs = collapse_unchanged(diff(old, new))
    shown = "".join(text for _, text in pairs)
    assert "unchanged lines" in shown and "line 18" in shown and "line 5\n" not in shown
    assert any(op != 0 for op, _ in pairs)
    from ui.history import first_change_line

    assert first_change_line(diff(old, new)) == 21  # "line 20" is the 21st line
    deck = [{"title": f"Slide {i}", "bullets": ["a"], "notes": ""} for i in range(5)]
    inserted = [{"title": "New first", "bullets": ["b"], "notes": ""}, *deck]
    changed = [
        text
        for op, text in diff(
            content_text("slides", {"slides": deck}), content_text("slides", {"slides": inserted})
        )
        if op != 0
    ]
    assert "Slide 3" not in "".join(changed), changed
