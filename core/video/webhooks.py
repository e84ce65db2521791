"""HeyGen webhook deliveries: verify, refuse stale or replayed ones, mark, wake the job.

The receiver only marks the scene's row and hands the job to the runner; the worker then
confirms the status with HeyGen and downloads the file. A forged, stale or replayed
delivery changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError

from core.db import session_scope
from core.models import WebhookEvent
from core.settings import get_settings

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "signature"  # hex HMAC-SHA256 of the raw body (see tests/fakes/heygen_server.py)
EVENTS = {"avatar_video.success": True, "avatar_video.fail": False}


@dataclass(frozen=True)
class WebhookAnswer:
    status: int
    body: dict[str, Any]


def _problem(status: int, detail: str) -> WebhookAnswer:
    # Problem-details shape (RFC 7807), like every HTTP surface of the app.
    return WebhookAnswer(
        status, {"type": "about:blank", "title": "webhook refused", "status": status, "detail": detail}
    )


def verify_signature(raw: bytes, signature: str, secret: str) -> bool:
    expected = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip().removeprefix("sha256="))


def _sent_at(event: dict[str, Any], headers: dict[str, str]) -> float | None:
    for value in (event.get("timestamp"), headers.get("heygen-timestamp"), headers.get("x-heygen-timestamp")):
        if value not in (None, ""):
            return float(value)
    return None


def handle(raw: bytes, headers: dict[str, str], *, now: float | None = None) -> WebhookAnswer:
    settings = get_settings()
    secret = settings.HEYGEN_WEBHOOK_SECRET.get_secret_value() if settings.HEYGEN_WEBHOOK_SECRET else ""
    if not secret:
        return _problem(503, "HEYGEN_WEBHOOK_SECRET is not set; webhooks cannot be verified")
    lowered = {k.lower(): v for k, v in headers.items()}
    if not verify_signature(raw, lowered.get(SIGNATURE_HEADER, ""), secret):
        return _problem(401, "the signature does not match the body")
    try:
        event = json.loads(raw)
        event_type = str(event["event_type"])
        video_id = str(event["event_data"]["video_id"])
        sent_at = _sent_at(event, lowered)
    except (ValueError, KeyError, TypeError):
        return _problem(400, "the body is not a HeyGen video event")
    # HeyGen's docs we could read show no timestamp; when one is there (the signed body, or
    # a timestamp header) an old event is refused. Without one, the replay check below and
    # the worker's own status call are what protect the job.
    if sent_at is not None and abs((now or time.time()) - sent_at) > settings.WEBHOOK_TOLERANCE_S:
        return _problem(401, "the event is stale (its timestamp is outside the tolerance)")
    if event_type not in EVENTS:
        return WebhookAnswer(200, {"ignored": event_type})
    from core.jobs import submit
    from core.services.video import mark_from_webhook

    try:
        with session_scope() as session:
            session.add(
                WebhookEvent(digest=hashlib.sha256(raw).hexdigest(), event_type=event_type, video_id=video_id)
            )
            session.flush()
            job_id = mark_from_webhook(session, video_id=video_id, succeeded=EVENTS[event_type])
    except IntegrityError:
        return _problem(409, "this event was already received (replay)")
    if job_id is not None:
        # With RQ the job goes to a worker; without Redis it runs in this process (the
        # claim keeps it to one runner either way).
        try:
            submit(job_id, replace=True)  # wake the job now instead of at its next poll
        except Exception:  # the scheduled poll still comes; a lost wake-up only costs time
            log.warning("could not wake job %s after a webhook", job_id, exc_info=True)
    return WebhookAnswer(200, {"ok": True, "job_id": job_id})
