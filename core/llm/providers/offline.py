"""The offline provider: deterministic, topic-aware course content with no network.

Content is built from ``request.variables`` (the prompt variables) for the request's
schema: Outline, OutlineModule, LessonDetail and SlideDeck get real prose in the course
language (en, ru; others fall back to en); any other schema gets a minimal instance built
from its JSON schema. Every answer is valid against the schema and, for outlines, against
``outline_problems`` whenever the parameters allow it. The same variables and seed always
give the same text; a regeneration ``instruction`` ("shorter", "more examples", "короче",
anything else) visibly changes it.

Settings
--------
``OFFLINE_LATENCY_MS``: sleep per call, to make progress bars and concurrency realistic.

``OFFLINE_FAULTS``: comma-separated fault rules, each one of

* ``kind:p`` -- probability ``p`` (0..1) per call, decided by a hash of ``OFFLINE_SEED``,
  the request content and how often this provider has seen that content (so a retried
  request may succeed, and a rerun of the same workload fails in the same places);
* ``kind@N`` -- exactly the N-th call (1-based) of this provider instance;
* ``kind`` -- shorthand for ``kind:1``.

Kinds: ``rate_limit`` and ``timeout`` and ``server`` (raise the matching retryable
AppError), ``malformed`` (text that is not JSON), ``truncation`` (JSON cut mid-way,
finish_reason "length"), ``refusal`` (an LLMResponse with ``refusal`` set) and
``malformed_always`` (malformed, and its remediation call malformed too).

Probabilistic rules never hit a remediation call (request.remediation) except through
``malformed_always``; ``kind@N`` rules hit call N whatever it is.
Example: ``OFFLINE_FAULTS="rate_limit:0.2,timeout:0.1,malformed@1"``.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from core.errors import AppError, Code
from core.llm.base import LLMRequest, LLMResponse
from core.llm.pricing import estimate_tokens
from core.llm.providers.offline_text import EXAMPLES, EXERCISES, FOCUSES, PHRASES, QUIZ, SECTIONS
from core.settings import Settings

OFFLINE_MODEL = "offline"
FAULT_KINDS = ("rate_limit", "timeout", "server", "malformed", "malformed_always", "refusal", "truncation")
_LESSON_MAX_MINUTES = 600  # OutlineLesson.duration_minutes upper bound

# ------------------------------------------------------------------ small helpers


def _hash(*parts: object) -> int:
    """A stable hash (Python's hash() is salted per process)."""
    blob = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(blob).digest()[:8], "big")


def _unit(*parts: object) -> float:
    """A stable pseudo-random number in [0, 1)."""
    return _hash(*parts) / 2**64


def _pick(options: Sequence[Any], *key: object) -> Any:
    return options[_hash(*key) % len(options)]


def _lang(variables: dict[str, Any]) -> str:
    lang = str(variables.get("language") or "en").lower()
    return lang if lang in PHRASES else "en"


def _clip(text: str, limit: int) -> str:
    """Shorten at a word boundary so titles stay readable."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:—-")
    return (cut or text[: limit - 1]) + "…"


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@dataclass
class _Ctx:
    """Variables normalised once, with the phrase bank of the course language."""

    lang: str
    p: dict[str, Any]
    topic: str
    audience: str
    seed: int
    instruction: str = ""
    vars: dict[str, Any] = field(default_factory=dict)

    def fmt(self, template: str, **extra: Any) -> str:
        values = {
            "topic": self.topic,
            "Topic": self.topic[:1].upper() + self.topic[1:],
            "audience": self.audience,
            **extra,
        }
        return template.format(**values)

    @property
    def shorter(self) -> bool:
        return any(
            w in self.instruction
            for w in ("short", "brief", "concise", "корот", "короч", "кратк", "сократ", "сжат")
        )

    @property
    def more_examples(self) -> bool:
        return any(w in self.instruction for w in ("example", "пример"))

    @property
    def other_instruction(self) -> bool:
        return bool(self.instruction) and not (self.shorter or self.more_examples)


def _ctx(variables: dict[str, Any], seed: int) -> _Ctx:
    lang = _lang(variables)
    p = PHRASES[lang]
    return _Ctx(
        lang=lang,
        p=p,
        topic=_clip(str(variables.get("topic") or p["default_topic"]), 60),
        audience=_clip(str(variables.get("audience") or p["default_audience"]), 80),
        seed=seed,
        instruction=" ".join(str(variables.get("instruction") or "").lower().split()),
        vars=variables,
    )


# ------------------------------------------------------------------ outline


def split_minutes(total: int, count: int, key: object) -> list[int]:
    """Durations that add up to exactly ``total``, varied a little, each at least 5 minutes
    when the total allows (and never above the schema's per-lesson maximum)."""
    if count <= 0:
        return []
    weights = [0.8 + 0.4 * _unit(key, i) for i in range(count)]
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    minutes = [int(r) for r in raw]
    # Largest remainders first: the sum comes out exact.
    order = sorted(range(count), key=lambda i: raw[i] - minutes[i], reverse=True)
    for i in order[: total - sum(minutes)]:
        minutes[i] += 1
    floor = min(5, total // count)
    if min(minutes) < floor or max(minutes) > _LESSON_MAX_MINUTES:
        base, extra = divmod(total, count)
        minutes = [base + (1 if i < extra else 0) for i in range(count)]
    return [_clamp(m, 1, _LESSON_MAX_MINUTES) for m in minutes]


def _module_plan(ctx: _Ctx, count: int) -> list[tuple[str, list[str]]]:
    """Focuses for ``count`` modules: opening, a topic-ordered middle, closing."""
    focuses = FOCUSES[ctx.lang]
    first, middle, last = focuses[0], focuses[1:-1], focuses[-1]
    middle = sorted(middle, key=lambda f: _hash(ctx.seed, ctx.topic, f[0]))
    if count == 1:
        return [first]
    chosen = [first]
    for i in range(count - 2):
        title, subjects = middle[i % len(middle)]
        part = i // len(middle)
        if part:
            title = f"{title} ({ctx.p['part'].format(n=part + 1)})"
        chosen.append((title, subjects))
    chosen.append(last)
    return chosen


def _lesson_titles(ctx: _Ctx, subjects: list[str], count: int, key: object) -> list[str]:
    start = _hash(ctx.seed, key) % len(subjects)
    titles = []
    for i in range(count):
        title = ctx.fmt(subjects[(start + i) % len(subjects)])
        part = i // len(subjects)
        if part:
            title = f"{title} ({ctx.p['part'].format(n=part + 1)})"
        titles.append(_clip(title, 110))
    return titles


def _lower_first(text: str) -> str:
    # Keep acronyms and proper names ("SQL", "Python") as they are.
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _lesson_objectives(ctx: _Ctx, title: str) -> list[str]:
    templates = ctx.p["lesson_objectives"]
    count = 1 + _hash(ctx.seed, "objectives", title) % len(templates)
    subject = title if ctx.lang == "ru" else _lower_first(title)
    return [_clip(t.format(subject=subject), 200) for t in templates[:count]]


def _outline_module(
    ctx: _Ctx, title: str, subjects: list[str], lesson_count: int, minutes: list[int], key: object
) -> dict[str, Any]:
    titles = _lesson_titles(ctx, subjects, lesson_count, key)
    shown = ", ".join(_lower_first(t) for t in titles[:5])
    summary = "" if ctx.shorter else ctx.p["module_summary"].format(subjects=shown)
    if ctx.more_examples and summary:
        summary += ctx.p["examples_note"]
    title = _clip(ctx.fmt(title), 110)
    objectives = [_clip(ctx.fmt(o, module=title), 200) for o in ctx.p["module_objectives"]]
    return {
        "title": title,
        "summary": _clip(summary, 1000),
        "objectives": objectives[: 1 + _hash(ctx.seed, "mobj", title) % len(objectives)],
        "lessons": [
            {"title": t, "objectives": _lesson_objectives(ctx, t), "duration_minutes": m}
            for t, m in zip(titles, minutes, strict=True)
        ],
    }


def _dedupe_titles(items: list[dict[str, Any]], ctx: _Ctx) -> None:
    seen: set[str] = set()
    for item in items:
        base, n = item["title"], 1
        while item["title"].lower() in seen:
            n += 1
            item["title"] = f"{_clip(base, 100)} ({ctx.p['part'].format(n=n)})"
        seen.add(item["title"].lower())


def build_outline(variables: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    ctx = _ctx(variables, seed)
    module_count = _clamp(_int(variables.get("module_count"), 3), 1, 20)
    per_module = _clamp(_int(variables.get("lessons_per_module"), 3), 1, 15)
    total = max(1, _int(variables.get("total_duration_minutes"), 120))
    level = str(variables.get("level") or "beginner")
    level = level if level in ctx.p["levels"] else "beginner"

    minutes = split_minutes(total, module_count * per_module, (seed, ctx.topic, total))
    modules = []
    for i, (title, subjects) in enumerate(_module_plan(ctx, module_count)):
        chunk = minutes[i * per_module : (i + 1) * per_module]
        modules.append(_outline_module(ctx, title, subjects, per_module, chunk, (ctx.topic, i)))
    _dedupe_titles(modules, ctx)
    _dedupe_titles([lsn for m in modules for lsn in m["lessons"]], ctx)

    summary_key = "course_summary_short" if ctx.shorter else "course_summary"
    summary = ctx.fmt(
        ctx.p[summary_key],
        level=ctx.p["levels"][level],
        modules=module_count,
        lessons=module_count * per_module,
        minutes=total,
    )
    if ctx.other_instruction:
        summary += " " + ctx.p["revision_text"].format(instruction=_clip(ctx.instruction, 300))
    title = ctx.fmt(_pick(ctx.p["course_titles"][level], seed, ctx.topic))
    return {"title": _clip(title, 110), "summary": _clip(summary, 2000), "modules": modules}


def build_module(variables: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    """One module (regenerate a section): the same lesson count and total minutes."""
    ctx = _ctx(variables, seed)
    count = _clamp(_int(variables.get("lesson_count"), 3), 1, 15)
    total = max(count, _int(variables.get("duration_minutes"), count * 15))
    old_title = str(variables.get("module_title") or "")
    focuses = FOCUSES[ctx.lang][1:-1]
    # A regeneration should look different from what it replaces: the instruction is in the key.
    title, subjects = _pick(focuses, seed, old_title, ctx.instruction)
    key = (old_title, ctx.instruction)
    module = _outline_module(ctx, title, subjects, count, split_minutes(total, count, key), key)
    if old_title and ctx.lang == "ru":
        module["title"] = _clip(f"{old_title}: {module['title'][:1].lower()}{module['title'][1:]}", 110)
    elif old_title:
        module["title"] = _clip(f"{old_title}: {_lower_first(module['title'])}", 110)
    return module


# ------------------------------------------------------------------ lesson


def _section_count(minutes: int, shorter: bool) -> int:
    count = _clamp(round(minutes / 8), 1, len(SECTIONS["en"]))
    return max(1, count // 3) if shorter else count


def _example_md(ctx: _Ctx, lesson: str, index: int, heading: str) -> str:
    story, steps = EXAMPLES[ctx.lang][index % len(EXAMPLES[ctx.lang])]
    numbered = "\n".join(f"{n}. {s}" for n, s in enumerate(steps, 1))
    return f"## {heading}\n\n{ctx.fmt(story, lesson=lesson)}\n\n{numbered}"


def _lesson_body(ctx: _Ctx, lesson: str, objectives: list[str], minutes: int) -> tuple[str, list[str]]:
    """Markdown body sized to the lesson length, and the takeaways of its sections."""
    sections = SECTIONS[ctx.lang]
    start = _hash(ctx.seed, lesson) % len(sections)
    chosen = [sections[(start + i) % len(sections)] for i in range(_section_count(minutes, ctx.shorter))]
    module = str(ctx.vars.get("module_title") or ctx.topic)
    course = str(ctx.vars.get("course_title") or ctx.topic)
    friendly = str(ctx.vars.get("tone") or "") in ("friendly", "playful")
    intro = ctx.p["intro_friendly" if friendly else "intro_neutral"]
    parts = [f"# {lesson}", ctx.fmt(intro, lesson=lesson, module=module, course=course, minutes=minutes)]
    if objectives and not ctx.shorter:
        parts.append(f"## {ctx.p['learn']}\n\n" + "\n".join(f"- {o}" for o in objectives))
    for heading, paragraph, bullets, _ in chosen:
        items = "\n".join(f"- {b}" for b in bullets)
        parts.append(f"## {heading}\n\n{ctx.fmt(paragraph, lesson=lesson)}\n\n{items}")
    first_example = _hash(ctx.seed, "example", lesson)
    parts.append(_example_md(ctx, lesson, first_example, ctx.p["example"]))
    if ctx.more_examples:
        extra = [_example_md(ctx, lesson, first_example + k, "").split("\n", 2)[2] for k in (1, 2)]
        parts.append(f"## {ctx.p['more_examples']}\n\n" + "\n\n".join(extra))
    if ctx.other_instruction:
        note = ctx.p["revision_text"].format(instruction=_clip(ctx.instruction, 300))
        parts.append(f"## {ctx.p['revision']}\n\n{note}")
    parts.append(f"## {ctx.p['summary']}\n\n{ctx.fmt(ctx.p['summary_text'], lesson=lesson)}")
    return _clip_md("\n\n".join(parts) + "\n", 29000), [s[3] for s in chosen]


def _pad_to_words(ctx: _Ctx, lesson: str, body: str, target: int) -> str:
    """issue 13: a prompt that states the body's length in words gets about that many: the
    writer adds worked examples before the summary until it gets there."""
    if target <= 0:
        return body
    head, sep, summary = body.rpartition(f"\n\n## {ctx.p['summary']}")
    if not sep:
        head, summary = body, ""
    extra: list[str] = []
    k = 1
    while len((head + " ".join(extra)).split()) < 0.9 * target and k <= 40:
        block = _example_md(ctx, lesson, _hash(ctx.seed, "pad", lesson) + k, f"{ctx.p['example']} {k + 1}")
        extra.append(block)
        k += 1
    padded = "\n\n".join([head.rstrip(), *extra]) + (sep + summary if sep else "\n")
    return _clip_md(padded, 29000)


# Rules the part of a prompt states in words: the offline writer follows what it reads, so a
# version that drops a rule writes (and scores) worse offline too, as a model would (issue 13).
_RULES = {
    "_tie_objectives": re.compile(r"every\s+question\s+checks\s+one\s+objective", re.I),
    "_body_words": re.compile(r"about\s+(\d+)\s+words", re.I),
}


def prompt_rules(messages: list[dict[str, Any]]) -> dict[str, Any]:
    text = "\n".join(str(m.get("content") or "") for m in messages if m.get("role") in ("system", "user"))
    rules: dict[str, Any] = {}
    if _RULES["_tie_objectives"].search(text):
        rules["_tie_objectives"] = True
    if found := _RULES["_body_words"].search(text):
        rules["_body_words"] = int(found.group(1))
    return rules


def _clip_md(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rsplit("\n\n", 1)[0] + "\n"


def _key_points(ctx: _Ctx, takeaways: list[str], minutes: int) -> list[str]:
    want = 3 if ctx.shorter else _clamp(3 + minutes // 20, 3, 8)
    points = list(dict.fromkeys(takeaways))
    for _, _, _, extra in SECTIONS[ctx.lang]:  # short lessons have few sections: top up
        if len(points) >= want:
            break
        if extra not in points:
            points.append(extra)
    return points[:want]


def _exercises(ctx: _Ctx, lesson: str, minutes: int) -> list[dict[str, str]]:
    bank = EXERCISES[ctx.lang]
    count = 1 if ctx.shorter else _clamp(1 + minutes // 30, 1, 5)
    start = _hash(ctx.seed, "exercise", lesson) % len(bank)
    chosen = [bank[(start + i) % len(bank)] for i in range(count)]
    return [{"title": t, "instructions": _clip(ctx.fmt(body, lesson=lesson), 3000)} for t, body in chosen]


def _quiz(ctx: _Ctx, lesson: str, objectives: list[str], minutes: int) -> list[dict[str, Any]]:
    # issue 13: questions name the objective they check only when the prompt asks for it.
    tie = bool(ctx.vars.get("_tie_objectives"))
    bank = QUIZ[ctx.lang]
    count = 2 if ctx.shorter else _clamp(2 + minutes // 20, 2, 6)
    questions = []
    for i in range(count):
        objective = (objectives[i % len(objectives)] if tie else objectives[0]) if objectives else lesson
        question, correct, wrong, explanation = bank[i]
        answer = _hash(ctx.seed, "answer", lesson, i) % (len(wrong) + 1)
        options = list(wrong)
        options.insert(answer, _clip(ctx.fmt(correct, objective=objective), 200))
        questions.append(
            {
                "question": _clip(ctx.fmt(question, lesson=lesson), 500),
                "options": options,
                "answer_index": answer,
                "explanation": explanation,
                "objective": objective if objectives and tie else "",
            }
        )
    return questions


def build_lesson(variables: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    ctx = _ctx(variables, seed)
    lesson = _clip(str(variables.get("lesson_title") or ctx.topic), 120)
    minutes = max(1, _int(variables.get("duration_minutes"), 30))
    objectives = [_clip(str(o), 200) for o in variables.get("objectives") or [] if str(o).strip()]
    body, takeaways = _lesson_body(ctx, lesson, objectives, minutes)
    body = _pad_to_words(ctx, lesson, body, _int(variables.get("_body_words"), 0))
    return {
        "body_md": body,
        "key_points": _key_points(ctx, takeaways, minutes),
        "exercises": _exercises(ctx, lesson, minutes),
        "quiz": _quiz(ctx, lesson, objectives, minutes),
    }


# ------------------------------------------------------------------ slides

_HEADING = re.compile(r"^(#{1,3})\s+(.+?)\s*$")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.+?)\s*$")


def _md_sections(body: str) -> list[tuple[str, list[str], str]]:
    """(heading, list items, paragraph text) for each ## / ### section of a Markdown body."""
    sections: list[tuple[str, list[str], list[str]]] = []
    for line in body.splitlines():
        heading = _HEADING.match(line)
        if heading and len(heading.group(1)) >= 2:
            sections.append((heading.group(2), [], []))
        elif sections and (item := _ITEM.match(line)):
            sections[-1][1].append(item.group(1))
        elif sections and line.strip() and not heading:
            sections[-1][2].append(line.strip())
    return [(h, items, " ".join(text)) for h, items, text in sections]


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.strip()) > 3]


def _slide(title: str, bullets: list[str], notes: str, max_bullets: int = 5) -> dict[str, Any]:
    bullets = [_clip(b, 100) for b in bullets if b.strip()][:max_bullets]
    return {"title": _clip(title, 60), "bullets": bullets or [_clip(title, 100)], "notes": _clip(notes, 3000)}


def build_slides(variables: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    ctx = _ctx(variables, seed)
    lesson = _clip(str(variables.get("lesson_title") or ctx.topic), 90)
    points = [str(k) for k in variables.get("key_points") or [] if str(k).strip()]
    target = _clamp(_int(variables.get("slide_count"), 6), 2, 20)
    if ctx.shorter:
        target = max(2, target // 2)
    max_bullets = 3 if ctx.shorter else 5

    sections = _md_sections(str(variables.get("body_md") or ""))
    example_names = {PHRASES[lang]["example"] for lang in PHRASES}
    examples = [s for s in sections if s[0] in example_names]
    teaching = [s for s in sections if s not in examples]
    first = _slide(lesson, points[:3] or [lesson], ctx.fmt(ctx.p["intro_notes"], lesson=lesson), max_bullets)
    last = _slide(ctx.p["takeaways"], points or [lesson], ctx.fmt(ctx.p["questions_notes"], lesson=lesson))
    middle = [
        _slide(h, items or _sentences(text) or [h], text or h, max_bullets) for h, items, text in teaching
    ]
    for point in points:  # a short body: one slide per key point fills the deck
        note = ctx.p["point_notes"].format(point=point)
        middle.append(_slide(point, _sentences(note)[:2], note, max_bullets))
    middle.append(_slide(ctx.p["questions"], ctx.p["questions_bullets"], last["notes"], max_bullets))

    room = target - 2
    if ctx.more_examples:
        example = examples[0] if examples else (ctx.p["example"], _example_steps(ctx), "")
        middle = [_slide(example[0], example[1], example[2] or example[0], max_bullets), *middle]
    elif examples and room >= 3:
        middle.insert(min(room - 1, len(teaching)), _slide(*examples[0], max_bullets=max_bullets))
    slides = [first, *middle[: max(0, room)], last]
    if ctx.other_instruction:
        note = ctx.p["revision_text"].format(instruction=_clip(ctx.instruction, 300))
        slides[0]["notes"] = _clip(f"{slides[0]['notes']} {note}", 3000)
    return {"slides": slides}


def _example_steps(ctx: _Ctx) -> list[str]:
    return EXAMPLES[ctx.lang][_hash(ctx.seed, ctx.topic) % len(EXAMPLES[ctx.lang])][1]


# ------------------------------------------------------------------ any other schema


def build_generic(schema: type[BaseModel], variables: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    """A minimal instance for a schema we have no writer for, from its JSON schema."""
    root = schema.model_json_schema()
    text = PHRASES[_lang(variables)]["generic_text"]
    value = _from_json_schema(root, root.get("$defs", {}), text)
    return value if isinstance(value, dict) else {}


def _from_json_schema(node: dict[str, Any], defs: dict[str, Any], text: str) -> Any:
    if "$ref" in node:
        return _from_json_schema(defs[node["$ref"].rsplit("/", 1)[-1]], defs, text)
    if "default" in node:
        return node["default"]
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in node:
            options = [o for o in node[key] if o.get("type") != "null"] or node[key]
            return _from_json_schema(options[0], defs, text)
    kind = node.get("type", "object")
    if kind == "object":
        props = node.get("properties", {})
        return {k: _from_json_schema(v, defs, text) for k, v in props.items()}
    if kind == "array":
        count = max(1, int(node.get("minItems", 1)))
        return [_from_json_schema(node.get("items", {}), defs, text) for _ in range(count)]
    if kind == "string":
        low, high = int(node.get("minLength", 1)), int(node.get("maxLength", 10_000))
        return (text * (low // len(text) + 1))[: max(low, min(high, len(text)))]
    if kind in ("integer", "number"):
        low = node.get("minimum", node.get("exclusiveMinimum", 0))
        return int(low) + (1 if "exclusiveMinimum" in node else 0) if kind == "integer" else float(low)
    if kind == "boolean":
        return False
    return None


BUILDERS = {
    "Outline": build_outline,
    "OutlineModule": build_module,
    "LessonDetail": build_lesson,
    "SlideDeck": build_slides,
}


# Builders that live in their own modules register here when the providers package loads
# (core/llm/providers/__init__.py imports them), so this module never imports them back:
# the part prompts (offline_parts, issue 13) add to BUILDERS; the content built from a
# course's sources (offline_sources, issue 17) to GROUNDED_BUILDERS.
GROUNDED_BUILDERS: dict[str, Callable[[dict[str, Any], int], dict[str, Any]]] = {}


def build_content(schema: type[BaseModel], variables: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    """The answer for a schema, as a JSON-ready dict."""
    grounded = GROUNDED_BUILDERS.get(schema.__name__)
    if grounded is not None and (variables.get("source_headings") or variables.get("chunks")):
        # issue-17: a course with sources gets extractive content with valid citations.
        return grounded(variables, seed)
    builder = BUILDERS.get(schema.__name__)
    if builder is None:
        return build_generic(schema, variables, seed)
    return builder(variables, seed)


# ------------------------------------------------------------------ faults


@dataclass(frozen=True)
class FaultPlan:
    probabilities: tuple[tuple[str, float], ...] = ()
    on_call: tuple[tuple[int, str], ...] = ()

    def at_call(self, number: int) -> str | None:
        return next((kind for n, kind in self.on_call if n == number), None)


def parse_faults(spec: str) -> FaultPlan:
    """Parse OFFLINE_FAULTS (syntax in the module docstring); AppError names a bad part."""
    probabilities: list[tuple[str, float]] = []
    on_call: list[tuple[int, str]] = []
    for raw in (part.strip() for part in spec.split(",")):
        if not raw:
            continue
        kind, value, where = _split_rule(raw)
        if kind not in FAULT_KINDS:
            raise _bad_fault(raw, f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
        if where == "@":
            if not value.isdigit() or int(value) < 1:
                raise _bad_fault(raw, "the call number after @ must be a whole number >= 1")
            on_call.append((int(value), kind))
            continue
        try:
            probability = float(value) if value else 1.0
        except ValueError:
            raise _bad_fault(raw, "the probability after : must be a number between 0 and 1") from None
        if not 0 <= probability <= 1:
            raise _bad_fault(raw, "the probability after : must be between 0 and 1")
        probabilities.append((kind, probability))
    return FaultPlan(tuple(probabilities), tuple(on_call))


def _split_rule(raw: str) -> tuple[str, str, str]:
    for sep in ("@", ":"):
        if sep in raw:
            kind, value = raw.split(sep, 1)
            return kind.strip(), value.strip(), sep
    return raw, "", ":"


def _bad_fault(part: str, why: str) -> AppError:
    return AppError(
        Code.VALIDATION,
        f"OFFLINE_FAULTS: bad rule {part!r}: {why}",
        details=[{"field": "OFFLINE_FAULTS", "message": f"{part}: {why}"}],
    )


def _malform(text: str, lang: str) -> str:
    lead = "Конечно! Вот результат:" if lang == "ru" else "Sure! Here is what you asked for:"
    # Unquoted keys and a missing closing brace: what real models get wrong.
    body = re.sub(r'"(\w+)":', r"\1:", text[: max(40, len(text) // 3)])
    return f"{lead}\n{body}"


# ------------------------------------------------------------------ the provider


class OfflineProvider:
    """LLMProvider that writes content locally; see the module docstring for settings."""

    name = "offline"

    def __init__(self, settings: Settings) -> None:
        self.latency_s = settings.OFFLINE_LATENCY_MS / 1000
        self.seed = settings.OFFLINE_SEED
        self.faults = parse_faults(settings.OFFLINE_FAULTS)
        self._lock = threading.Lock()
        self._calls = 0
        self._seen: dict[str, int] = {}
        self._poisoned: set[str] = set()  # content keys whose next remediation stays malformed

    @property
    def calls(self) -> int:
        return self._calls

    def complete(self, request: LLMRequest) -> LLMResponse:
        if self.latency_s:
            time.sleep(self.latency_s)  # simulated model latency, not a wait on a condition
        fault = self._fault_for(request)
        if fault in ("rate_limit", "timeout", "server"):
            raise _transport_fault(fault)
        content = build_content(
            request.schema, {**request.variables, **prompt_rules(request.messages)}, self.seed
        )
        text = json.dumps(content, ensure_ascii=False)
        lang = _lang(request.variables)
        input_tokens = sum(estimate_tokens(str(m.get("content") or "")) for m in request.messages)
        if fault == "refusal":
            refusal = (
                "Извините, я не могу помочь с этим запросом."
                if lang == "ru"
                else ("I'm sorry, but I can't help with that request.")
            )
            return self._response("", input_tokens, refusal=refusal, finish_reason="stop")
        if fault in ("malformed", "malformed_always"):
            return self._response(_malform(text, lang), input_tokens, finish_reason="stop")
        if fault == "truncation":
            return self._response(text[: max(20, len(text) // 2)], input_tokens, finish_reason="length")
        return self._response(text, input_tokens, finish_reason="stop")

    def _response(self, text: str, input_tokens: int, **extra: Any) -> LLMResponse:
        return LLMResponse(
            text=text,
            model=OFFLINE_MODEL,
            input_tokens=input_tokens,
            output_tokens=estimate_tokens(text or str(extra.get("refusal") or "")),
            **extra,
        )

    def _fault_for(self, request: LLMRequest) -> str | None:
        key = _content_key(request)
        with self._lock:
            self._calls += 1
            number = self._calls
            if not request.remediation:
                self._seen[key] = self._seen.get(key, 0) + 1
            occurrence = self._seen.get(key, 0)
            fault = self.faults.at_call(number)
            if fault is None and request.remediation:
                fault = "malformed_always" if key in self._poisoned else None
            elif fault is None:
                fault = self._roll(key, occurrence)
            if request.remediation:
                self._poisoned.discard(key)
            elif fault == "malformed_always":
                self._poisoned.add(key)
            return fault

    def _roll(self, key: str, occurrence: int) -> str | None:
        for kind, probability in self.faults.probabilities:
            if probability and _unit(self.seed, kind, key, occurrence) < probability:
                return kind
        return None


def _content_key(request: LLMRequest) -> str:
    """What the request asks for; a remediation of it shares the key."""
    blob = json.dumps([request.step, request.schema.__name__, request.variables], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _transport_fault(kind: str) -> AppError:
    code, message = {
        "rate_limit": (Code.OPENAI_RATE_LIMIT, "offline provider: simulated rate limit (429)"),
        "timeout": (Code.OPENAI_TIMEOUT, "offline provider: simulated request timeout"),
        "server": (Code.OPENAI_SERVER, "offline provider: simulated server error (500)"),
    }[kind]
    return AppError(code, message, retryable=True, details={"simulated": True})
