"""What generation cost: llm_calls grouped by course, job, step or prompt version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from core.llm.budget import STARTED
from core.llm.pricing import current_prices
from core.models import Course, Job, JobStatus, LLMCall, utcnow
from core.settings import get_settings

Grouping = Literal["course", "job", "step", "prompt_version"]


@dataclass(frozen=True)
class CostRow:
    key: str  # the group, readable: a course title, "#12 lessons", "lesson", "lesson@1.0.0"
    calls: int
    failed_calls: int
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    cost_usd: float
    avg_latency_ms: float


def cost_breakdown(session: Session, *, by: Grouping, course_id: int | None = None) -> list[CostRow]:
    """One row per group, most expensive first; `course_id` narrows to one course."""
    if by == "course":
        keys = [LLMCall.course_id, Course.title]
    elif by == "job":
        keys = [LLMCall.job_id, Job.kind]
    elif by == "step":
        keys = [LLMCall.step]
    else:
        keys = [LLMCall.prompt_id, LLMCall.prompt_version]
    cost = func.sum(LLMCall.cost_usd)
    query = select(
        *keys,
        func.count(col(LLMCall.id)),
        # A call still in flight ("started") has not failed.
        func.sum(case((col(LLMCall.outcome).not_in(("ok", STARTED)), 1), else_=0)),
        func.sum(LLMCall.input_tokens),
        func.sum(LLMCall.cached_tokens),
        func.sum(LLMCall.output_tokens),
        cost,
        func.avg(LLMCall.latency_ms),
    )
    if by == "course":
        query = query.outerjoin(Course, col(Course.id) == col(LLMCall.course_id))
    elif by == "job":
        query = query.outerjoin(Job, col(Job.id) == col(LLMCall.job_id))
    if course_id is not None:
        query = query.where(LLMCall.course_id == course_id)
    query = query.group_by(*keys).order_by(cost.desc())
    rows = []
    for row in session.exec(query):
        *key_parts, calls, failed, tin, tcached, tout, usd, latency = row
        rows.append(
            CostRow(
                key=_label(by, key_parts),
                calls=int(calls or 0),
                failed_calls=int(failed or 0),
                input_tokens=int(tin or 0),
                cached_tokens=int(tcached or 0),
                output_tokens=int(tout or 0),
                cost_usd=round(float(usd or 0.0), 6),
                avg_latency_ms=round(float(latency or 0.0), 1),
            )
        )
    return rows


def _label(by: Grouping, parts: list[object]) -> str:
    if by == "course":
        ident, title = parts
        return f"#{ident} {title}" if ident is not None else "(no course)"
    if by == "job":
        ident, kind = parts
        return f"#{ident} {kind}" if ident is not None else "(no job)"
    if by == "step":
        return str(parts[0])
    return f"{parts[0]}@{parts[1]}"


def total_cost(rows: list[CostRow]) -> CostRow:
    return CostRow(
        key="total",
        calls=sum(r.calls for r in rows),
        failed_calls=sum(r.failed_calls for r in rows),
        input_tokens=sum(r.input_tokens for r in rows),
        cached_tokens=sum(r.cached_tokens for r in rows),
        output_tokens=sum(r.output_tokens for r in rows),
        cost_usd=round(sum(r.cost_usd for r in rows), 6),
        avg_latency_ms=round(
            sum(r.avg_latency_ms * r.calls for r in rows) / max(1, sum(r.calls for r in rows)), 1
        ),
    )


# ---- issue 8: calls whose process died before their answer was recorded


@dataclass(frozen=True)
class UnknownCall:
    id: int
    job_id: int | None
    step: str
    model: str
    estimated_cost_usd: float
    started_at: datetime


def unknown_cost_calls(
    session: Session, *, course_id: int | None = None, stale_after_s: float | None = None
) -> list[UnknownCall]:
    """Rows still "started" although no process can finish them: their job has ended, or
    (without a running job) they are older than a call can take. Their cost is unknown;
    the estimate is the most they can have cost."""
    settings = get_settings()
    if stale_after_s is None:
        stale_after_s = settings.HTTP_TIMEOUT_S * (settings.HTTP_RETRIES + 1) + settings.JOB_STALE_AFTER_S
    cutoff = utcnow() - timedelta(seconds=stale_after_s)
    query = (
        select(LLMCall, Job.status)
        .outerjoin(Job, col(Job.id) == col(LLMCall.job_id))
        .where(LLMCall.outcome == STARTED)
        .order_by(col(LLMCall.id))
    )
    if course_id is not None:
        query = query.where(LLMCall.course_id == course_id)
    out = []
    for call, job_status in session.exec(query):
        ended = job_status is not None and JobStatus(job_status).finished
        if ended or call.created_at < cutoff:
            out.append(
                UnknownCall(
                    id=int(call.id or 0),
                    job_id=call.job_id,
                    step=call.step,
                    model=call.model,
                    estimated_cost_usd=round(call.estimated_cost_usd, 6),
                    started_at=call.created_at,
                )
            )
    return out


def price_rows() -> list[dict[str, object]]:
    """The prices file as the Costs page shows it: the entry in effect today per model."""
    return [
        {
            "model": e.model,
            "input": e.price.input,
            "cached_input": e.price.cached_input,
            "output": e.price.output,
            "since": e.effective_date.isoformat(),
        }
        for e in current_prices()
    ]
