"""Calls whose cost is not known yet (still `started`): what the Costs page shows beside
the analytics (core/services/analytics.py); the prices are in core/services/prices.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from core.db import id_of
from core.llm.budget import STARTED
from core.models import Job, JobStatus, LLMCall, utcnow
from core.settings import get_settings


def max_call_seconds() -> float:
    """How long a call can take at most, retries included: a row still `started` after
    that was cut off by a crash."""
    settings = get_settings()
    return settings.HTTP_TIMEOUT_S * (settings.HTTP_RETRIES + 1) + settings.JOB_STALE_AFTER_S


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
    cutoff = utcnow() - timedelta(seconds=stale_after_s if stale_after_s is not None else max_call_seconds())
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
                    id=id_of(call),
                    job_id=call.job_id,
                    step=call.step,
                    model=call.model,
                    estimated_cost_usd=round(call.estimated_cost_usd, 6),
                    started_at=call.created_at,
                )
            )
    return out
