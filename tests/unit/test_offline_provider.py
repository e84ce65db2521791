"""The offline provider: valid, deterministic, language- and instruction-aware, with faults."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from pydantic import BaseModel, Field

from core.errors import AppError, Code
from core.llm.base import LLMRequest
from core.llm.gateway import parse_answer
from core.llm.providers import build_provider, get_provider, reset_provider
from core.llm.providers.offline import (
    OfflineProvider,
    build_content,
    parse_faults,
    split_minutes,
)
from core.prompts import get_registry
from core.schemas import CourseParams, LessonDetail, Outline, SlideDeck, outline_problems
from core.settings import Settings, get_settings, reset_settings
from tests.fakes.prompt_text import variables_from_messages

CYRILLIC = set("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")


def _provider(**env: Any) -> OfflineProvider:
    return OfflineProvider(Settings(LLM_PROVIDER="offline", **env))


def _request(schema: type[BaseModel], variables: dict[str, Any], *, remediation: bool = False) -> LLMRequest:
    return LLMRequest(
        step=schema.__name__.lower(),
        messages=[{"role": "user", "content": json.dumps(variables, ensure_ascii=False)}],
        schema=schema,
        model="gpt-4.1-mini",
        variables=variables,
        remediation=remediation,
    )


def _outline_vars(params: CourseParams) -> dict[str, Any]:
    return params.model_dump(mode="json")


def _lesson_vars(
    outline: Outline, params: CourseParams, m: int = 0, n: int = 0, **extra: Any
) -> dict[str, Any]:
    module = outline.modules[m]
    lesson = module.lessons[n]
    return {
        "course_title": outline.title,
        "topic": params.topic,
        "audience": params.audience,
        "level": params.level.value,
        "language": params.language.value,
        "tone": params.tone.value,
        "constraints": "",
        "module_title": module.title,
        "lesson_title": lesson.title,
        "objectives": lesson.objectives,
        "duration_minutes": lesson.duration_minutes,
        **extra,
    }


def _slides_vars(lesson: LessonDetail, title: str, language: str, **extra: Any) -> dict[str, Any]:
    return {
        "course_title": "Course",
        "language": language,
        "tone": "neutral",
        "lesson_title": title,
        "body_md": lesson.body_md,
        "key_points": lesson.key_points,
        "slide_count": 6,
        **extra,
    }


def _complete(provider: OfflineProvider, schema: type[BaseModel], variables: dict[str, Any]) -> Any:
    response = provider.complete(_request(schema, variables))
    value, problems = parse_answer(response.text, schema)
    assert value is not None, problems
    return value


SHAPES = [
    (lang, modules, lessons, minutes)
    for lang, (modules, lessons), minutes in itertools.product(
        ("en", "ru"), [(1, 1), (1, 6), (2, 3), (3, 2), (5, 4), (8, 6), (8, 1)], (45, 120, 600, 1440)
    )
    if modules * lessons * 5 <= minutes <= modules * lessons * 600
]


def test_more_minutes_than_lessons_can_hold_is_refused_up_front() -> None:
    with pytest.raises(ValueError, match="over 600 minutes"):
        CourseParams(
            topic="Marathon training", module_count=1, lessons_per_module=1, total_duration_minutes=1440
        )


@pytest.mark.parametrize(("language", "modules", "lessons", "minutes"), SHAPES)
def test_outline_is_valid_and_meets_the_parameters(
    language: str, modules: int, lessons: int, minutes: int
) -> None:
    params = CourseParams(
        topic="Python for data analysis" if language == "en" else "Основы финансовой грамотности",
        language=language,
        module_count=modules,
        lessons_per_module=lessons,
        total_duration_minutes=minutes,
    )
    outline = _complete(_provider(), Outline, _outline_vars(params))
    assert outline_problems(outline, params) == []
    assert outline.duration_minutes == minutes  # exact, not merely within tolerance
    titles = [lsn.title for m in outline.modules for lsn in m.lessons]
    assert len(set(titles)) == len(titles)
    assert len({m.title for m in outline.modules}) == modules
    has_cyrillic = bool(CYRILLIC & set(outline.summary.lower()))
    assert has_cyrillic == (language == "ru")


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("minutes", [5, 20, 45, 90, 240])
def test_lesson_and_slides_are_valid_and_sized(language: str, minutes: int) -> None:
    params = CourseParams(
        topic="Project management",
        language=language,
        module_count=1,
        lessons_per_module=1,
        total_duration_minutes=max(15, minutes),
    )
    provider = _provider()
    outline = _complete(provider, Outline, _outline_vars(params))
    variables = _lesson_vars(outline, params, duration_minutes=minutes)
    lesson = _complete(provider, LessonDetail, variables)
    assert lesson.body_md.startswith("# ") and "\n## " in lesson.body_md
    assert "\n- " in lesson.body_md and "\n1. " in lesson.body_md  # a list and a worked example
    assert 3 <= len(lesson.key_points) <= 8
    for question in lesson.quiz:
        assert 0 <= question.answer_index < len(question.options)
    if language == "ru":
        assert "## Пример" in lesson.body_md
    else:
        assert "## Example" in lesson.body_md
    deck = _complete(provider, SlideDeck, _slides_vars(lesson, variables["lesson_title"], language))
    assert len(deck.slides) == 6
    assert all(slide.notes for slide in deck.slides)


def test_longer_lessons_get_longer_bodies() -> None:
    params = CourseParams(topic="Negotiation skills", module_count=1, lessons_per_module=1)
    outline = _complete(_provider(), Outline, _outline_vars(params))
    short = build_content(LessonDetail, _lesson_vars(outline, params, duration_minutes=10))
    long = build_content(LessonDetail, _lesson_vars(outline, params, duration_minutes=80))
    assert len(long["body_md"]) > 2 * len(short["body_md"])


def test_slide_count_is_clamped_to_the_schema() -> None:
    params = CourseParams(topic="Negotiation skills", module_count=1, lessons_per_module=1)
    outline = _complete(_provider(), Outline, _outline_vars(params))
    lesson = LessonDetail.model_validate(build_content(LessonDetail, _lesson_vars(outline, params)))
    for asked, expected in ((1, 2), (40, 20)):
        deck = SlideDeck.model_validate(
            build_content(SlideDeck, _slides_vars(lesson, "Opening", "en", slide_count=asked))
        )
        assert len(deck.slides) == expected


def test_content_is_deterministic_and_varies_by_topic_and_lesson() -> None:
    params = CourseParams(topic="Public speaking", module_count=3, lessons_per_module=3)
    a = build_content(Outline, _outline_vars(params))
    assert a == build_content(Outline, _outline_vars(params))
    other = build_content(Outline, _outline_vars(params.model_copy(update={"topic": "Cooking basics"})))
    assert [m["title"] for m in a["modules"]] != [m["title"] for m in other["modules"]]
    outline = Outline.model_validate(a)
    first = build_content(LessonDetail, _lesson_vars(outline, params, 0, 0))
    second = build_content(LessonDetail, _lesson_vars(outline, params, 1, 1))
    assert first["body_md"] != second["body_md"]


@pytest.mark.parametrize(
    ("instruction", "effect"),
    [
        ("make it shorter", "shorter"),
        ("короче", "shorter"),
        ("more examples", "examples"),
        ("добавь больше примеров", "examples"),
        ("use a formal register", "note"),
    ],
)
def test_instruction_visibly_changes_a_lesson(instruction: str, effect: str) -> None:
    language = "ru" if any(ch in CYRILLIC for ch in instruction) else "en"
    params = CourseParams(topic="Time management", language=language, module_count=1, lessons_per_module=1)
    outline = Outline.model_validate(build_content(Outline, _outline_vars(params)))
    plain = LessonDetail.model_validate(build_content(LessonDetail, _lesson_vars(outline, params)))
    changed = LessonDetail.model_validate(
        build_content(LessonDetail, _lesson_vars(outline, params, instruction=instruction))
    )
    assert changed.body_md != plain.body_md
    if effect == "shorter":
        assert len(changed.body_md) < len(plain.body_md)
    elif effect == "examples":
        assert changed.body_md.count("\n1. ") > plain.body_md.count("\n1. ")
    else:
        assert instruction in changed.body_md


def test_instruction_changes_slides_and_outline() -> None:
    params = CourseParams(topic="Time management", module_count=2, lessons_per_module=2)
    outline_vars = _outline_vars(params)
    plain_outline = build_content(Outline, outline_vars)
    shorter_outline = build_content(Outline, {**outline_vars, "instruction": "shorter"})
    assert len(json.dumps(shorter_outline)) < len(json.dumps(plain_outline))
    assert not outline_problems(Outline.model_validate(shorter_outline), params)
    outline = Outline.model_validate(plain_outline)
    lesson = LessonDetail.model_validate(build_content(LessonDetail, _lesson_vars(outline, params)))
    plain = build_content(SlideDeck, _slides_vars(lesson, "Lesson", "en", slide_count=8))
    shorter = SlideDeck.model_validate(
        build_content(SlideDeck, _slides_vars(lesson, "Lesson", "en", slide_count=8, instruction="shorter"))
    )
    assert len(shorter.slides) < len(plain["slides"])


def test_module_regeneration_keeps_counts_and_minutes() -> None:
    from core.schemas import OutlineModule

    variables = {
        "topic": "Sales",
        "language": "en",
        "module_title": "Core concepts",
        "lesson_count": 4,
        "duration_minutes": 97,
        "other_modules": [],
        "instruction": "more practice",
    }
    module = OutlineModule.model_validate(build_content(OutlineModule, variables))
    assert len(module.lessons) == 4 and module.duration_minutes == 97
    again = build_content(OutlineModule, {**variables, "instruction": "more theory"})
    assert again != module.model_dump()


def test_unknown_schema_gets_a_minimal_valid_instance() -> None:
    class Note(BaseModel):
        title: str = Field(min_length=3, max_length=20)
        count: int = Field(ge=2)
        tags: list[str] = Field(min_length=2)
        flag: bool

    provider = _provider()
    value = _complete(provider, Note, {"language": "ru"})
    assert value.count == 2 and len(value.tags) == 2


def test_split_minutes_is_exact() -> None:
    for total, count in [(15, 3), (100, 7), (6000, 20), (97, 4), (5, 1)]:
        minutes = split_minutes(total, count, "k")
        assert sum(minutes) == total and len(minutes) == count
        assert min(minutes) >= min(5, total // count)


# ------------------------------------------------------------------ faults


def _outline_request(remediation: bool = False, topic: str = "Data literacy") -> LLMRequest:
    params = CourseParams(topic=topic, module_count=2, lessons_per_module=2)
    return _request(Outline, _outline_vars(params), remediation=remediation)


def test_fault_on_nth_call() -> None:
    provider = _provider(OFFLINE_FAULTS="malformed@1,timeout@3,rate_limit@4")
    first = provider.complete(_outline_request())
    assert parse_answer(first.text, Outline)[0] is None
    assert parse_answer(provider.complete(_outline_request(remediation=True)).text, Outline)[0] is not None
    with pytest.raises(AppError) as timeout:
        provider.complete(_outline_request())
    assert timeout.value.code == Code.OPENAI_TIMEOUT and timeout.value.retryable
    with pytest.raises(AppError) as limited:
        provider.complete(_outline_request())
    assert limited.value.code == Code.OPENAI_RATE_LIMIT and limited.value.retryable
    assert parse_answer(provider.complete(_outline_request()).text, Outline)[0] is not None


def test_refusal_and_truncation_faults() -> None:
    refused = _provider(OFFLINE_FAULTS="refusal").complete(_outline_request())
    assert refused.refusal and not refused.text
    cut = _provider(OFFLINE_FAULTS="truncation").complete(_outline_request())
    assert cut.finish_reason == "length"
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.text)
    assert cut.output_tokens > 0


def test_remediation_succeeds_unless_malformed_always() -> None:
    provider = _provider(OFFLINE_FAULTS="malformed:1")
    assert parse_answer(provider.complete(_outline_request()).text, Outline)[0] is None
    assert parse_answer(provider.complete(_outline_request(remediation=True)).text, Outline)[0] is not None
    stubborn = _provider(OFFLINE_FAULTS="malformed_always")
    assert parse_answer(stubborn.complete(_outline_request()).text, Outline)[0] is None
    assert parse_answer(stubborn.complete(_outline_request(remediation=True)).text, Outline)[0] is None


def test_probabilistic_faults_are_deterministic_and_roughly_proportional() -> None:
    def outcomes(seed: int) -> list[str]:
        provider = _provider(OFFLINE_FAULTS="rate_limit:0.3", OFFLINE_SEED=seed)
        result = []
        for i in range(200):
            try:
                provider.complete(_outline_request(topic=f"Topic number {i}"))
                result.append("ok")
            except AppError as exc:
                result.append(exc.code)
        return result

    first = outcomes(1)
    assert first == outcomes(1)
    assert first != outcomes(2)
    assert 30 <= first.count(Code.OPENAI_RATE_LIMIT) <= 90


def test_retrying_the_same_request_can_succeed() -> None:
    provider = _provider(OFFLINE_FAULTS="timeout:0.5", OFFLINE_SEED=3)
    outcomes = []
    for _ in range(20):
        try:
            provider.complete(_outline_request())
            outcomes.append("ok")
        except AppError:
            outcomes.append("timeout")
    assert "ok" in outcomes and "timeout" in outcomes


@pytest.mark.parametrize(
    ("spec", "bad"),
    [
        ("explode:0.1", "explode"),
        ("timeout:abc", "timeout:abc"),
        ("malformed@0", "malformed@0"),
        ("rate_limit:1.5", "rate_limit:1.5"),
        ("timeout:0.1,refusal@x", "refusal@x"),
    ],
)
def test_bad_fault_syntax_names_the_bad_part(spec: str, bad: str) -> None:
    with pytest.raises(AppError) as err:
        parse_faults(spec)
    assert err.value.code == Code.VALIDATION
    assert bad in err.value.message and "OFFLINE_FAULTS" in err.value.message


def test_latency_and_token_estimates() -> None:
    response = _provider(OFFLINE_LATENCY_MS=1).complete(_outline_request())
    assert response.model == "offline"
    assert response.input_tokens > 0 and response.output_tokens > len(response.text) // 8


def test_get_provider_defaults_to_offline_and_is_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    provider = get_provider()
    assert provider.name == "offline" and get_provider() is provider
    monkeypatch.setenv("OFFLINE_FAULTS", "nonsense:1")
    reset_settings()
    with pytest.raises(AppError):
        get_provider()
    reset_provider()
    with pytest.raises(ValueError):
        build_provider("nope", get_settings())


@pytest.mark.parametrize("prompt_id", ["outline", "lesson", "slides"])
@pytest.mark.parametrize("language", ["en", "ru"])
def test_variables_survive_the_rendered_prompt(prompt_id: str, language: str) -> None:
    """The fake server rebuilds variables from prompt text: it must agree with the originals."""
    params = CourseParams(
        topic="Customer support",
        language=language,
        module_count=4,
        lessons_per_module=2,
        total_duration_minutes=200,
        constraints="No jargon.",
    )
    outline = Outline.model_validate(build_content(Outline, _outline_vars(params)))
    lesson_vars = _lesson_vars(outline, params, 1, 1)
    lesson = LessonDetail.model_validate(build_content(LessonDetail, lesson_vars))
    variables = {
        "outline": _outline_vars(params),
        "lesson": lesson_vars,
        "slides": _slides_vars(lesson, lesson_vars["lesson_title"], language),
    }[prompt_id]
    spec = get_registry().get(prompt_id)
    messages = spec.render({k: v for k, v in variables.items() if k in spec.variables})
    parsed = variables_from_messages(spec.schema_name, messages)
    for name in (
        "topic",
        "module_count",
        "lessons_per_module",
        "total_duration_minutes",
        "lesson_title",
        "duration_minutes",
        "objectives",
        "key_points",
        "slide_count",
        "language",
    ):
        if name in variables and name in spec.variables:
            assert parsed[name] == variables[name], name
    rebuilt = build_content(spec.schema, parsed)
    if prompt_id == "outline":
        assert not outline_problems(Outline.model_validate(rebuilt), params)
    else:
        spec.schema.model_validate(rebuilt)
