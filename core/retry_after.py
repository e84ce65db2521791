"""How long a server asked us to wait: shared by the HTTP retry layer and the model-call
scheduler (apart from core.http so that the scheduler, which core.http wraps around its
transport, does not import core.http back)."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime

import httpx


def parse_retry_after(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """Seconds the server asked us to wait, from retry-after-ms or Retry-After (seconds or date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
