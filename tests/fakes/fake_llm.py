"""FakeLLM: a provider you enqueue answers on; unscripted calls get simple valid content."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from core.llm.base import LLMRequest, LLMResponse

Script = str | LLMResponse | BaseException | Callable[[LLMRequest], Any]


def valid_answer(request: LLMRequest) -> dict[str, Any]:
    """Minimal content that passes the request's schema and the outline checks."""
    v = request.variables
    name = request.schema.__name__
    if name == "Outline":
        modules, lessons, total = v["module_count"], v["lessons_per_module"], v["total_duration_minutes"]
        count = modules * lessons
        durations = [total // count + (1 if i < total % count else 0) for i in range(count)]
        return {
            "title": f"Course on {v['topic']}",
            "summary": "A fake outline.",
            "modules": [
                {
                    "title": f"Module {m + 1}",
                    "summary": "",
                    "objectives": [f"Objective {m + 1}"],
                    "lessons": [
                        {
                            "title": f"Lesson {m + 1}.{i + 1}",
                            "objectives": ["Do a thing"],
                            "duration_minutes": durations[m * lessons + i],
                        }
                        for i in range(lessons)
                    ],
                }
                for m in range(modules)
            ],
        }
    if name == "OutlineModule":
        n, total = v["lesson_count"], v["duration_minutes"]
        durations = [total // n + (1 if i < total % n else 0) for i in range(n)]
        return {
            "title": f"Reworked {v['module_title']}"[:120],
            "summary": v.get("instruction") or "Reworked.",
            "objectives": ["A new objective"],
            "lessons": [
                {"title": f"New lesson {i + 1}", "objectives": ["x"], "duration_minutes": d}
                for i, d in enumerate(durations)
            ],
        }
    if name == "LessonDetail":
        extra = f" Instruction: {v['instruction']}." if v.get("instruction") else ""
        return {
            "body_md": f"# {v['lesson_title']}\n\n"
            + "This lesson explains the topic step by step. " * 6
            + extra,
            "key_points": ["First point", "Second point", "Third point"],
            "exercises": [{"title": "Try it", "instructions": "Do the exercise described above."}],
            "quiz": [
                {"question": "Which is right?", "options": ["A", "B"], "answer_index": 0},
                {"question": "And this one?", "options": ["C", "D"], "answer_index": 1},
            ],
        }
    if name == "SlideDeck":
        return {
            "slides": [
                {
                    "title": f"{v['lesson_title']} {i + 1}"[:90],
                    "bullets": ["One", "Two"],
                    "notes": "Say this.",
                }
                for i in range(3)
            ]
        }
    raise AssertionError(f"FakeLLM has no default for {name}")


class FakeLLM:
    name = "fake"

    def __init__(self, *, delay: float = 0.0) -> None:
        self.delay = delay
        self.requests: list[LLMRequest] = []
        self._script: deque[Script] = deque()
        self._by_title: dict[str, deque[Script]] = {}
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    def enqueue(self, *answers: Script) -> FakeLLM:
        """Answers for the next calls, in order: raw text, an LLMResponse, or an exception."""
        self._script.extend(answers)
        return self

    def enqueue_for(self, lesson_title: str, *answers: Script) -> FakeLLM:
        """Answers for calls about one lesson (matched on the lesson_title variable)."""
        self._by_title.setdefault(lesson_title, deque()).extend(answers)
        return self

    def complete(self, request: LLMRequest) -> LLMResponse:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            queue = self._by_title.get(str(request.variables.get("lesson_title")))
            item = queue.popleft() if queue else (self._script.popleft() if self._script else None)
        try:
            if self.delay:
                time.sleep(self.delay)
            if callable(item) and not isinstance(item, BaseException):
                item = item(request)
            if isinstance(item, BaseException):
                raise item
            if isinstance(item, LLMResponse):
                return item
            text = item if isinstance(item, str) else json.dumps(valid_answer(request))
            return LLMResponse(
                text=text, model="gpt-4.1-mini", input_tokens=100, output_tokens=len(text) // 4
            )
        finally:
            with self._lock:
                self.in_flight -= 1
