"""What every evaluation run shares (outline, lesson and slides prompts): the model it
uses, running the cases in parallel with progress, and the head of its report."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from core.llm.base import LLMProvider
from core.models import utcnow
from core.prompts import PromptSpec
from core.settings import get_settings

W = TypeVar("W")
R = TypeVar("R")


def eval_model(spec: PromptSpec) -> str:
    return str(spec.defaults.get("model") or get_settings().model_for(spec.prompt_id))


def run_counted(
    fn: Callable[[W], R], work: Sequence[W], progress: Callable[[int, int], None] | None
) -> list[R]:
    """fn over the work items under the generation bound, in order, reporting each finish."""
    done = 0
    lock = threading.Lock()

    def one(item: W) -> R:
        nonlocal done
        result = fn(item)
        with lock:
            done += 1
            count = done
        if progress:
            progress(count, len(work))
        return result

    workers = get_settings().GENERATION_CONCURRENCY
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="eval") as pool:
        return list(pool.map(one, work))


def report_head(
    spec: PromptSpec, provider: LLMProvider, model: str, repeats: int, cases: int
) -> dict[str, Any]:
    return {
        "prompt_id": spec.prompt_id,
        "version": spec.version,
        "checksum": spec.checksum,
        "provider": getattr(provider, "name", "unknown"),
        "model": model,
        "repeats": repeats,
        "cases": cases,
        "created_at": utcnow().isoformat(timespec="seconds"),
    }
