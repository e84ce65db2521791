"""Hard budget caps: every call reserves its worst-case cost in the database before it runs.

A call's llm_calls row is written as ``started`` with ``estimated_cost_usd`` (estimated input
tokens + the request's max output tokens, at the model's price) inside the same short
transaction that checks the job's budget: committed spend (finished rows at their real cost)
plus open reservations (started rows at their estimate) plus this call must stay within the
budget, else the call is not made. The transaction holds the job row (SELECT ... FOR UPDATE
on PostgreSQL; BEGIN IMMEDIATE serializes writers on SQLite), so threads and processes
working on one job cannot reserve the same dollars twice. Finishing the row replaces the
estimate with the real cost: the unused part of the reservation is released.
"""

from __future__ import annotations

import json
import math
import threading
import time
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from sqlalchemy import case, func, insert, update
from sqlmodel import col, select

from core.db import db_retry, session_scope
from core.errors import AppError, Code
from core.llm.base import LLMRequest
from core.llm.pricing import FREE_MODELS, cost_usd, estimate_tokens, price_for
from core.llm.strict_schema import strict_json_schema
from core.models import Job, LLMCall, utcnow

STARTED = "started"
# Our token estimate has no tokenizer: pad it so a real count rarely exceeds it.
INPUT_SAFETY = 1.25
TOKENS_PER_MESSAGE = 4  # role and separators, as OpenAI's cookbook counts them
WAIT_POLL_S = 0.05


class BudgetRefused(Exception):
    """This call does not fit now; `waitable` when other calls' reservations may free room."""

    def __init__(self, message: str, *, waitable: bool) -> None:
        super().__init__(message)
        self.waitable = waitable


@lru_cache(maxsize=64)
def _schema_tokens(schema: type[BaseModel]) -> int:
    return estimate_tokens(json.dumps(strict_json_schema(schema)))


def estimate_input_tokens(request: LLMRequest) -> int:
    """Prompt tokens, padded: messages plus the schema (OpenAI counts response_format too)."""
    text = sum(estimate_tokens(str(m.get("content") or "")) for m in request.messages)
    schema = _schema_tokens(request.schema)
    raw = text + schema + TOKENS_PER_MESSAGE * (len(request.messages) + 1) + 3
    return math.ceil(raw * INPUT_SAFETY)


def worst_case_cost(request: LLMRequest, provider: str) -> float:
    """What the call can cost at most: padded input at the full input rate + max output."""
    if provider == "offline" or request.model in FREE_MODELS:
        return 0.0
    return cost_usd(request.model, estimate_input_tokens(request), 0, request.max_output_tokens)


def _committed(job_id: int, fresh_after: datetime) -> Any:
    """Spent + reserved for a job: finished rows at cost, open rows at their estimate; and
    how many open rows are recent enough to still be in flight (older ones were left by a
    process that died: they stay reserved, but nobody will release them)."""
    in_flight = (col(LLMCall.outcome) == STARTED) & (col(LLMCall.created_at) > fresh_after)
    return select(
        func.coalesce(
            func.sum(
                case(
                    (col(LLMCall.outcome) == STARTED, col(LLMCall.estimated_cost_usd)),
                    else_=col(LLMCall.cost_usd),
                )
            ),
            0.0,
        ),
        func.coalesce(func.sum(case((in_flight, 1), else_=0)), 0),
    ).where(LLMCall.job_id == job_id)


def _try_reserve(row: dict[str, Any], estimate: float, provider: str, fresh_after: datetime) -> int:
    job_id = row.get("job_id")
    with session_scope() as session:
        if job_id is not None:
            # The lock every reservation for this job queues on (no-op on SQLite, where
            # BEGIN IMMEDIATE already made this transaction the only writer).
            payload = session.exec(select(Job.payload).where(Job.id == job_id).with_for_update()).first()
            budget = (payload or {}).get("budget_usd")
            if budget is not None:
                budget = float(budget)
                if (
                    provider != "offline"
                    and row["model"] not in FREE_MODELS
                    and price_for(row["model"]) is None
                ):
                    raise AppError(
                        Code.BUDGET_NO_PRICE,
                        f"model {row['model']!r} has no price, so a budget cannot be kept; add it to "
                        "the prices file (PRICES_FILE) or run the job without a budget",
                    )
                committed, in_flight = session.exec(_committed(job_id, fresh_after)).one()
                if float(committed) + estimate > budget + 1e-12:
                    raise BudgetRefused(
                        f"this call may cost up to ${estimate:.4f}; the job has ${float(committed):.4f} "
                        f"spent or reserved of its ${budget:.4f} budget",
                        waitable=int(in_flight) > 0,
                    )
        result = session.execute(
            insert(LLMCall)
            .values(**row, outcome=STARTED, estimated_cost_usd=estimate, created_at=utcnow())
            .returning(LLMCall.id)
        )
        return int(result.scalar_one())


def reserve(row: dict[str, Any], request: LLMRequest, provider: str, *, wait_s: float) -> int:
    """Write the call's row as started with its reservation; raise E.BUDGET.EXCEEDED if the
    job's budget cannot hold it even after the calls in flight finish (waits up to wait_s)."""
    estimate = worst_case_cost(request, provider)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            # A reservation that committed before the link dropped is retried as a second
            # started row; it only holds budget until fresh_after passes it by.
            return db_retry(
                lambda: _try_reserve(row, estimate, provider, utcnow() - timedelta(seconds=wait_s)),
                what="reserving a model call",
            )
        except BudgetRefused as refused:
            if not refused.waitable or time.monotonic() >= deadline:
                raise AppError(
                    Code.BUDGET_EXCEEDED,
                    f"not started: {refused}; retry the job with a larger budget to finish",
                ) from None
            _sleep(WAIT_POLL_S)


_sleeper = threading.Event()


def _sleep(seconds: float) -> None:
    _sleeper.wait(seconds)


def finish(call_id: int, values: dict[str, Any]) -> None:
    """Complete a started row: real tokens, cost and outcome replace the reservation
    (an idempotent update, so a dropped link is simply tried again)."""

    def write() -> None:
        with session_scope() as session:
            session.execute(
                update(LLMCall)
                .execution_options(synchronize_session=False)
                .where(col(LLMCall.id) == call_id)
                .values(**values)
            )

    db_retry(write, what=f"finishing model call {call_id}")
