"""The hooks jobs, the model gateway, HTTP and exporters call: logs context, metrics, spans.

Kept in one place so the instrumented modules change by a line or two. A hook never
breaks the work it observes: failures inside it are logged and swallowed.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, TypeVar

from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from core import metrics, tracing
from core.db import id_of
from core.logs import bind

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


class JobRun:
    """One job attempt being observed (started by `job_started`, closed by `job_finished`)."""

    def __init__(self, job: Any) -> None:
        self.kind = str(job.kind)
        self.job_id = id_of(job)
        self.started = time.perf_counter()
        self.stack = ExitStack()
        self.span: Any = None


def job_started(job: Any) -> JobRun:
    run = JobRun(job)
    try:
        run.stack.enter_context(bind(job_id=run.job_id, course_id=job.course_id))
        run.span = tracing.tracer().start_span(
            f"job {run.kind}",
            attributes={
                "job.id": run.job_id,
                "job.kind": run.kind,
                "job.attempt": int(job.attempts or 0),
                **({"course.id": int(job.course_id)} if job.course_id is not None else {}),
            },
        )
        run.stack.enter_context(trace.use_span(run.span, end_on_exit=False))
        log.info("job started", extra={"kind": run.kind, "attempt": int(job.attempts or 0)})
    except Exception:
        log.warning("job instrumentation failed to start", exc_info=True)
    return run


def job_finished(run: JobRun, status: str, error_code: str | None = None, cost_usd: float = 0.0) -> None:
    try:
        seconds = time.perf_counter() - run.started
        log.info(
            "job finished",
            extra={
                "kind": run.kind,
                "outcome": str(status),
                "error_code": str(error_code) if error_code else None,
                "duration_s": round(seconds, 3),
                "cost_usd": round(float(cost_usd), 6),
            },
        )
        metrics.job_finished(run.kind, str(status), seconds, float(cost_usd))
        if run.span is not None:
            run.span.set_attribute("job.outcome", str(status))
            run.span.set_attribute("job.cost_usd", float(cost_usd))
            if error_code:
                run.span.set_attribute("error.code", str(error_code))
            if str(status) == "failed":
                run.span.set_status(Status(StatusCode.ERROR, str(error_code or "failed")))
            run.span.end()
        tracing.flush()
    except Exception:
        log.warning("job instrumentation failed to finish", exc_info=True)
    finally:
        run.stack.close()


class ModelCall:
    def __init__(self, span: Any) -> None:
        self.span = span

    def done(self, resp: Any) -> None:
        """Attach the answer's usage to the call's span."""
        self.span.set_attribute("llm.input_tokens", int(getattr(resp, "input_tokens", 0) or 0))
        self.span.set_attribute("llm.output_tokens", int(getattr(resp, "output_tokens", 0) or 0))
        self.span.set_attribute("llm.finish_reason", str(getattr(resp, "finish_reason", "") or ""))


@contextmanager
def model_call(provider: str, model: str, prompt: str, step: str, attempt: int = 0) -> Iterator[ModelCall]:
    """A span around one provider call (metrics come from the recorded row: `model_call_recorded`)."""
    attributes: dict[str, str | bool] = {
        "llm.provider": provider,
        "llm.model": model,
        "llm.prompt": prompt,
        "llm.step": step,
        "llm.remediation": attempt > 0,
    }
    with tracing.tracer().start_as_current_span(f"llm {prompt}", attributes=attributes) as span:
        yield ModelCall(span)


def model_call_recorded(row: dict[str, Any]) -> None:
    """Count a model call from its llm_calls row (the same numbers the Costs page shows)."""
    try:
        metrics.model_call(
            model=str(row.get("model") or ""),
            prompt=str(row.get("prompt_id") or ""),
            outcome=str(row.get("outcome") or ""),
            latency_s=float(row.get("latency_ms") or 0) / 1000,
            input_tokens=int(row.get("input_tokens") or 0),
            output_tokens=int(row.get("output_tokens") or 0),
            cached_tokens=int(row.get("cached_tokens") or 0),
            cost_usd=float(row.get("cost_usd") or 0),
        )
    except Exception:
        log.warning("model call metrics failed", exc_info=True)


def http_retry(host: str, reason: str) -> None:
    try:
        metrics.http_retry(host, reason)
    except Exception:
        log.warning("retry metrics failed", exc_info=True)


def traced_export(fn: F) -> F:
    """Decorate an export function taking (session, course_id, fmt, profile, ...)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        course_id = kwargs.get("course_id", args[1] if len(args) > 1 else None)
        fmt = kwargs.get("fmt", args[2] if len(args) > 2 else None)
        profile = kwargs.get("profile", args[3] if len(args) > 3 else "minimal")
        attributes: dict[str, str | int] = {
            "export.format": str(fmt),
            "export.profile": str(getattr(profile, "value", profile)),
        }
        if course_id is not None:
            attributes["course.id"] = int(course_id)
        with tracing.tracer().start_as_current_span(f"export {fmt}", attributes=attributes) as span:
            data, name, mime = fn(*args, **kwargs)
            span.set_attribute("export.bytes", len(data))
            return data, name, mime

    return wrapper  # type: ignore[return-value]
