"""Structured JSON logs with job and request ids; secrets never reach a record."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from core.settings import get_settings

# Bearer tokens and OpenAI-style keys, should any code put one in a message by mistake.
_SECRET = re.compile(r"(sk-[A-Za-z0-9_\-]{8,}|Bearer\s+[A-Za-z0-9._\-]+)")
_STD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}


def redact(text: str) -> str:
    """The one redaction every log record and stored job error goes through: key-shaped
    tokens, and any run of 8+ characters copied from a configured secret (a provider
    error that echoes part of the key, e.g. `raw=...SECRET...`)."""
    return _redact_secret_parts(_SECRET.sub("[redacted]", text))


# issue 10: redact any substring (8+ characters) of a configured secret.
SECRET_FRAGMENT = 8


def _secret_values() -> list[str]:
    from pydantic import SecretStr

    try:
        settings = get_settings()
    except Exception:  # settings that fail to load hold no secret we could match
        return []
    values = []
    for name in type(settings).model_fields:
        value = getattr(settings, name, None)
        if isinstance(value, SecretStr):
            secret = value.get_secret_value()
            if len(secret) >= SECRET_FRAGMENT:
                values.append(secret)
    return values


def _redact_secret_parts(text: str) -> str:
    secrets = _secret_values()
    if not secrets or len(text) < SECRET_FRAGMENT:
        return text
    # Every substring of 8+ characters of a secret contains one of its 8-character
    # windows, so marking each window of the text found in the secret covers them all.
    windows = {s[i : i + SECRET_FRAGMENT] for s in secrets for i in range(len(s) - SECRET_FRAGMENT + 1)}
    hidden = [False] * len(text)
    for i in range(len(text) - SECRET_FRAGMENT + 1):
        if text[i : i + SECRET_FRAGMENT] in windows:
            for j in range(i, i + SECRET_FRAGMENT):
                hidden[j] = True
    if not any(hidden):
        return text
    out, i = [], 0
    while i < len(text):
        if hidden[i]:
            while i < len(text) and hidden[i]:
                i += 1
            out.append("[redacted]")
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in _STD and not key.startswith("_"):
                out[key] = value if isinstance(value, int | float | bool | None) else redact(str(value))
        if record.exc_info:
            out["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False)


def setup_logging(level: str | None = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level or get_settings().LOG_LEVEL)
    for noisy in ("httpx", "httpcore", "openai"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
