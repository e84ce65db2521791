"""What generation cost: llm_calls grouped by course, job, step or prompt version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from core.auth import Actor, Can, require
from core.models import Course, Job, LLMCall

Grouping = Literal["course", "job", "step", "prompt_version", "user"]


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


def cost_breakdown(
    session: Session, *, actor: Actor, by: Grouping, course_id: int | None = None
) -> list[CostRow]:
    """One row per group, most expensive first; `course_id` narrows to one course."""
    require(actor, Can.read_costs)
    if by == "user":  # issue 9: who started the job the call belongs to
        keys = [Job.started_by]
    elif by == "course":
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
        func.sum(case((col(LLMCall.outcome) != "ok", 1), else_=0)),
        func.sum(LLMCall.input_tokens),
        func.sum(LLMCall.cached_tokens),
        func.sum(LLMCall.output_tokens),
        cost,
        func.avg(LLMCall.latency_ms),
    )
    if by == "course":
        query = query.outerjoin(Course, col(Course.id) == col(LLMCall.course_id))
    elif by in ("job", "user"):
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
    if by == "user":
        return str(parts[0]) if parts[0] is not None else "(no user)"
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


def cost_table_csv(rows: list[CostRow], *, actor: Actor) -> bytes:
    """A cost table as CSV for a spreadsheet (issue 9: analysts and admins export)."""
    import csv
    import io
    from dataclasses import asdict, fields

    require(actor, Can.export_costs)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[f.name for f in fields(CostRow)])
    writer.writeheader()
    for row in rows:
        # A leading =,+,-,@ would run as a formula in a spreadsheet: quote it as text.
        writer.writerow(
            {k: (f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v) for k, v in asdict(row).items()}
        )
    return out.getvalue().encode("utf-8")
