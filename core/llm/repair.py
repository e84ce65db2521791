"""Deterministic repairs of a model's answer, applied before validation.

Models are poor at arithmetic and at counting characters. What can be fixed without asking
again is fixed here, and every fix is described (what changed and why) so the revision
records it and the history shows it. What cannot be fixed this way (a quiz answer index
outside its options, missing fields, wrong counts) is left for the one remediation call.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from core.schemas import DURATION_TOLERANCE, MAX_LESSON_MINUTES
from core.text import shorten

MIN_LESSON_MINUTES = 5  # the floor CourseParams guarantees room for


@dataclass(frozen=True)
class Repair:
    path: str
    reason: str
    before: Any
    after: Any

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarize(repairs: list[dict[str, Any]]) -> str:
    """One short line for the history table."""
    if not repairs:
        return ""
    kinds: dict[str, int] = {}
    for r in repairs:
        kind = str(r.get("reason", "")).split(":", 1)[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    return "; ".join(f"{kind} ×{n}" if n > 1 else kind for kind, n in kinds.items())


# ------------------------------------------------------------------ titles


def _max_length(field: Any) -> int | None:
    for meta in field.metadata:
        limit = getattr(meta, "max_length", None)
        if limit is not None:
            return int(limit)
    return None


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside `Model` or `list[Model]`, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is list:
        (inner,) = get_args(annotation) or (None,)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return None


def repair_titles(schema: type[BaseModel], data: Any, path: str = "") -> list[Repair]:
    """Shorten every over-long `title`; the full text goes to the node's summary or notes
    (when it has one with room) and always into the repair record."""
    repairs: list[Repair] = []
    if not isinstance(data, dict):
        return repairs
    for name, field in schema.model_fields.items():
        value = data.get(name)
        here = f"{path}.{name}" if path else name
        nested = _model_of(field.annotation)
        if nested is not None:
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items):
                sub = f"{here}.{i}" if isinstance(value, list) else here
                repairs += repair_titles(nested, item, sub)
            continue
        if name != "title" or not isinstance(value, str):
            continue
        limit = _max_length(field)
        if limit is None or len(value.strip()) <= limit:
            continue
        short = shorten(value, limit)
        data[name] = short
        _keep_full_text(schema, data, value.strip())
        repairs.append(
            Repair(
                here, f"title shortened: {len(value.strip())} characters, the limit is {limit}", value, short
            )
        )
    return repairs


def _keep_full_text(schema: type[BaseModel], data: dict[str, Any], full: str) -> None:
    for holder in ("notes", "summary"):
        field = schema.model_fields.get(holder)
        current = data.get(holder, "")
        if field is None or not isinstance(current, str):
            continue
        addition = f"Full title: {full}"
        merged = f"{current.strip()}\n\n{addition}".strip()
        limit = _max_length(field)
        if limit is None or len(merged) <= limit:
            data[holder] = merged
        return


# ------------------------------------------------------------------ durations


def rescale(durations: list[float], total: int, *, floor: int = MIN_LESSON_MINUTES) -> list[int]:
    """Whole minutes proportional to `durations`, adding up to exactly `total`, none under
    `floor` (lowered when the total cannot give every lesson that) nor over the lesson cap.

    Deterministic: shares are fixed to a bound where they cross it, the rest is shared in
    proportion, then the leftover minutes go to the largest remainders (earlier lessons win
    ties).
    """
    n = len(durations)
    if n == 0:
        return []
    floor = max(0, min(floor, total // n))
    cap = max(MAX_LESSON_MINUTES, math.ceil(total / n))
    weights = [
        max(float(d), 1.0) if isinstance(d, int | float) and math.isfinite(d) else 1.0 for d in durations
    ]
    fixed: dict[int, int] = {}
    while True:
        free = [i for i in range(n) if i not in fixed]
        if not free:
            break
        remaining = total - sum(fixed.values())
        wsum = sum(weights[i] for i in free)
        shares = {i: remaining * weights[i] / wsum for i in free}
        low = [i for i in free if shares[i] < floor]
        if low:
            fixed.update({i: floor for i in low})
            continue
        high = [i for i in free if shares[i] > cap]
        if high:
            fixed.update({i: cap for i in high})
            continue
        break
    exact = {i: float(v) for i, v in fixed.items()}
    if free:
        exact.update(shares)
    whole = {i: math.floor(v) for i, v in exact.items()}
    leftover = total - sum(whole.values())
    order = sorted(range(n), key=lambda i: (-(exact[i] - whole[i]), i))
    for i in order[: max(0, leftover)]:
        whole[i] += 1
    return [whole[i] for i in range(n)]


def _lessons(data: Any, nested: bool) -> list[dict[str, Any]] | None:
    """The lesson dicts of an outline (nested) or a module, if every duration is a number."""
    if not isinstance(data, dict):
        return None
    modules = data.get("modules") if nested else [data]
    if not isinstance(modules, list):
        return None
    lessons: list[dict[str, Any]] = []
    for module in modules:
        if not isinstance(module, dict) or not isinstance(module.get("lessons"), list):
            return None
        for lesson in module["lessons"]:
            if not isinstance(lesson, dict):
                return None
            minutes = lesson.get("duration_minutes")
            if isinstance(minutes, bool) or not isinstance(minutes, int | float):
                return None
            lessons.append(lesson)
    return lessons or None


def _rescale_lessons(lessons: list[dict[str, Any]], total: int, why: str) -> list[Repair]:
    before = [lesson["duration_minutes"] for lesson in lessons]
    after = rescale(before, total)
    for lesson, minutes in zip(lessons, after, strict=True):
        lesson["duration_minutes"] = minutes
    return [Repair("durations", f"durations rescaled: {why}", before, after)]


def repair_outline_durations(data: Any, total: int) -> list[Repair]:
    """An outline whose lessons miss the requested total (beyond the tolerance), or has a
    lesson outside 1..MAX_LESSON_MINUTES, is rescaled to exactly the total."""
    lessons = _lessons(data, nested=True)
    if lessons is None:
        return []
    minutes = [lesson["duration_minutes"] for lesson in lessons]
    s = sum(minutes)
    within = total * (1 - DURATION_TOLERANCE) <= s <= total * (1 + DURATION_TOLERANCE)
    whole = all(float(m).is_integer() and 1 <= m <= MAX_LESSON_MINUTES for m in minutes)
    if within and whole:
        return []
    return _rescale_lessons(lessons, total, f"the lessons added up to {s:g} minutes, the course has {total}")


def repair_module_durations(data: Any, total: int) -> list[Repair]:
    """A regenerated module keeps exactly the minutes it had."""
    lessons = _lessons(data, nested=False)
    if lessons is None:
        return []
    minutes = [lesson["duration_minutes"] for lesson in lessons]
    if sum(minutes) == total and all(float(m).is_integer() and 1 <= m <= MAX_LESSON_MINUTES for m in minutes):
        return []
    return _rescale_lessons(
        lessons, total, f"the lessons added up to {sum(minutes):g} minutes, the module has {total}"
    )
