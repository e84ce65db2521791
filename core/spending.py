"""Spending caps: what a user and the whole team spent today and this month (UTC), and
the refusal of a generation that would pass a cap, before its first model call.

Spend is the sum of `llm_calls.cost_usd`; a call belongs to the user who started its job
(`jobs.started_by`). Calls outside jobs (headless evaluations) count for the team only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from core.errors import AppError, Code
from core.models import Job, LLMCall, User, utcnow
from core.settings import get_settings


@dataclass(frozen=True)
class CapStatus:
    scope: str  # "user" | "team"
    period: str  # "day" | "month"
    spent_usd: float
    cap_usd: float | None

    @property
    def left_usd(self) -> float | None:
        return None if self.cap_usd is None else max(0.0, self.cap_usd - self.spent_usd)


def period_starts(now: datetime | None = None) -> dict[str, datetime]:
    now = now or utcnow()
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return {"day": day, "month": day.replace(day=1)}


def spent_usd(session: Session, *, since: datetime, email: str | None = None) -> float:
    """Cost of the calls since `since`: one user's (through their jobs) or the team's."""
    query = select(func.coalesce(func.sum(LLMCall.cost_usd), 0.0)).where(LLMCall.created_at >= since)
    if email is not None:
        query = query.join(Job, col(Job.id) == col(LLMCall.job_id)).where(Job.started_by == email)
    return float(session.exec(query).one() or 0.0)


def caps_for(session: Session, email: str | None) -> dict[tuple[str, str], float | None]:
    """(scope, period) -> cap; a user's own caps win over the settings."""
    settings = get_settings()
    user = session.exec(select(User).where(User.email == email)).first() if email else None
    return {
        ("user", "day"): (
            user.daily_cap_usd if user and user.daily_cap_usd else settings.SPEND_CAP_USER_DAILY_USD
        ),
        ("user", "month"): (
            user.monthly_cap_usd if user and user.monthly_cap_usd else settings.SPEND_CAP_USER_MONTHLY_USD
        ),
        ("team", "day"): settings.SPEND_CAP_TEAM_DAILY_USD,
        ("team", "month"): settings.SPEND_CAP_TEAM_MONTHLY_USD,
    }


def spending_status(session: Session, *, email: str | None, now: datetime | None = None) -> list[CapStatus]:
    starts = period_starts(now)
    out = []
    for (scope, period), cap in caps_for(session, email).items():
        who = email if scope == "user" else None
        if scope == "user" and email is None:
            continue
        out.append(
            CapStatus(scope, period, round(spent_usd(session, since=starts[period], email=who), 6), cap)
        )
    return out


def check_caps(
    session: Session, *, email: str | None, estimate_usd: float = 0.0, now: datetime | None = None
) -> None:
    """Refuse (E.BUDGET.CAP, with the figures) when a cap is reached or this generation's
    estimate would pass it. Nothing is read when no cap is configured."""
    caps = caps_for(session, email)
    if all(cap is None for cap in caps.values()):
        return
    starts = period_starts(now)
    for (scope, period), cap in caps.items():
        if cap is None or (scope == "user" and email is None):
            continue
        spent = spent_usd(session, since=starts[period], email=email if scope == "user" else None)
        if spent >= cap or spent + estimate_usd > cap:
            who = f"{email}'s" if scope == "user" else "the team's"
            when = "daily" if period == "day" else "monthly"
            raise AppError(
                Code.BUDGET_CAP,
                f"refused: {who} {when} spending cap is ${cap:.2f}; spent ${spent:.2f} so far, "
                f"this generation is estimated at ${estimate_usd:.2f}",
                details={
                    "scope": scope,
                    "period": period,
                    "spent_usd": round(spent, 6),
                    "cap_usd": cap,
                    "estimate_usd": round(estimate_usd, 6),
                },
            )
