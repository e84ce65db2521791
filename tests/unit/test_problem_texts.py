"""Problems core writes in English (parse errors, schema errors, JSON errors) reach the
Russian interface in Russian, naming the field, line or column."""

from __future__ import annotations

import json

import pytest
import streamlit as st

from core.errors import InvalidInput
from core.services.revisions import slides_from_text
from core.video.script import parse_script
from ui.validation import field_name, json_error, problem_line, problem_text


@pytest.fixture(autouse=True)
def _russian() -> object:
    st.session_state["ui.lang"] = "ru"
    yield
    st.session_state.pop("ui.lang", None)


def test_a_deck_without_a_title_line_names_the_line_in_russian() -> None:
    with pytest.raises(InvalidInput) as caught:
        slides_from_text("\n\nа это без заголовка\n## Слайд")
    (error,) = caught.value.errors
    assert problem_text(error) == "Строка 3: начните каждый слайд строкой «## Заголовок»"


def test_schema_paths_are_said_with_numbers_from_one() -> None:
    assert field_name("slides.0.bullets.2") == "Слайд 1 · пункт 3"
    assert field_name("modules.1.lessons.0.duration_minutes") == "Модуль 2 · Урок 1 · длительность, минут"
    assert field_name("topic") == "Тема"
    error = {"field": "slides.1.title", "type": "string_too_long", "ctx": {"max_length": 90}}
    assert problem_text(error) == "Слайд 2 · название: введите не больше 90 символов"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"a": 1,}', "строка 1, позиция 9: ожидается имя в двойных кавычках"),
        ('{\n  "a": 1\n  "b": 2\n}', "строка 3, позиция 3: не хватает запятой"),
        ('{"a" 1}', "строка 1, позиция 6: после имени не хватает двоеточия"),
        ('{"a": "x', "строка 1, позиция 7: строка не закрыта кавычкой"),
        ("{} []", "строка 1, позиция 4: после конца JSON есть лишний текст"),
        ("", "строка 1, позиция 1: здесь ожидается значение"),
    ],
)
def test_json_errors_name_the_line_and_column(text: str, said: str) -> None:
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads(text)
    assert json_error(caught.value) == said


def test_english_problem_lines_from_model_answers_are_translated() -> None:
    assert problem_line("modules.0.title: String should have at least 2 characters") == (
        "Модуль 1 · название: введите не меньше 2 символов"
    )
    assert problem_line("modules: expected exactly 3 modules, got 2") == (
        "модули: число модулей должно быть 3, получено 2"
    )
    assert problem_line("the answer is not valid JSON: Expecting value at position 0") == (
        "Ответ — не корректный JSON: здесь ожидается значение"
    )
    # A shape we do not know stays as it is rather than being mangled.
    assert problem_line("something new happened") == "something new happened"


def test_video_script_problems_are_translated() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_script("без заголовка")
    assert [problem_text(e) for e in caught.value.errors] == [
        "Строка 1: начните каждую сцену строкой «## Заголовок слайда»"
    ]
    with pytest.raises(InvalidInput) as caught:
        parse_script("## Вступление\n")
    assert [problem_text(e) for e in caught.value.errors] == [
        "в сцене «Вступление» нет текста: напишите, что звучит"
    ]


def test_every_problem_key_has_both_languages() -> None:
    from ui.i18n import text_for

    for key in ("verr_deck_title", "verr_object", "fld_slides_n", "json_at", "diff_jump"):
        assert text_for("en", key) and text_for("ru", key), key


def test_a_bad_cost_link_is_explained_in_russian() -> None:
    from core.services.analytics import CostFilter

    with pytest.raises(InvalidInput) as caught:
        CostFilter.from_query({"start": "вчера", "course_ids": "1,x"})
    assert sorted(problem_text(e) for e in caught.value.errors) == [
        "Курсы: не список номеров курсов: 1,x",
        "С: не дата в виде ГГГГ-ММ-ДД: вчера",
    ]


def test_deleting_a_module_with_locked_lessons_says_why_in_russian(db: str) -> None:
    from core.db import session_scope
    from core.services import courses as svc
    from tests.actors import ADMIN
    from tests.factories import make_course

    with session_scope() as session:
        course_id = make_course(session, modules=1, lessons=2, language="ru")
        module = svc.load_course(session, course_id).modules[0]
        svc.set_locked(session, actor=ADMIN, node_type="lesson", node_id=module.lessons[0].id, locked=True)
    with session_scope() as session, pytest.raises(InvalidInput) as caught:
        svc.delete_module(session, actor=ADMIN, module_id=module.id)
    assert [problem_text(e) for e in caught.value.errors] == [
        "Блокировка: часть его уроков закреплена: сначала снимите закрепление"
    ]


def test_the_diff_summary_counts_passages_by_each_languages_plural_rules() -> None:
    from ui.i18n import tn

    assert tn("diff_summary_n", 2, line=7) == "Первое изменение в строке 7 · 2 изменённых места"
    assert tn("diff_summary_n", 5, line=7).endswith("5 изменённых мест")
    st.session_state["ui.lang"] = "en"
    assert tn("diff_summary_n", 1, line=7) == "First change at line 7 · 1 changed passage"


def test_an_import_file_that_is_not_json_names_the_line_in_russian() -> None:
    from core.exporters.json_export import ImportInvalid, parse_import

    with pytest.raises(ImportInvalid) as caught:
        parse_import(b'{"format": "course-studio.course",\n "schema_version" "1.0"}')
    (error,) = caught.value.errors
    assert problem_text(error) == "не корректный JSON: строка 2, позиция 19: после имени не хватает двоеточия"
