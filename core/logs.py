"""One logging setup for web, worker and CLI: JSON lines with context, secrets redacted.

Context (job_id, course_id, user, request_id) lives in contextvars, so every record
written while a job runs or a page handles a request carries those fields without the
message text repeating them. Threads started by a job copy the context explicitly
(`contextvars.copy_context().run`); `bind()` scopes values to a `with` block.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from core.settings import get_settings

# Bearer tokens and OpenAI-style keys, should any code put one in a message by mistake.
_SECRET = re.compile(r"(sk-[A-Za-z0-9_\-]{8,}|Bearer\s+[A-Za-z0-9._\-]+)")
_STD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}

CONTEXT_FIELDS = ("job_id", "course_id", "user", "request_id")
_context: dict[str, contextvars.ContextVar[Any]] = {
    name: contextvars.ContextVar(f"log_{name}", default=None) for name in CONTEXT_FIELDS
}


def _configured_secrets() -> list[str]:
    """Secret values from the settings: redacted even when they do not look like a key."""
    try:
        settings = get_settings()
    except Exception:  # invalid settings must not break logging of that very error
        return []
    out = []
    for value in settings.model_dump().values():
        secret = getattr(value, "get_secret_value", None)
        if secret is not None and len(secret()) >= 6:
            out.append(secret())
    return out


def redact(text: str) -> str:
    """The one redaction every log record and stored job error goes through: key-shaped
    tokens, configured secrets, and any run of 8+ characters copied from one (a provider
    error that echoes part of the key, e.g. `raw=...SECRET...`)."""
    text = _SECRET.sub("[redacted]", text)
    for secret in _configured_secrets():
        if secret in text:
            text = text.replace(secret, "[redacted]")
    return _redact_secret_parts(text)


# Any substring of a secret this long or longer is redacted.
SECRET_FRAGMENT = 8


def _redact_secret_parts(text: str) -> str:
    secrets = [s for s in _configured_secrets() if len(s) >= SECRET_FRAGMENT]
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


def current_context() -> dict[str, Any]:
    """The context fields set in this thread/task (unset ones left out)."""
    return {name: var.get() for name, var in _context.items() if var.get() is not None}


@contextmanager
def bind(**fields: Any) -> Iterator[None]:
    """Set context fields for the duration of a block (nested blocks add to the outer)."""
    unknown = set(fields) - set(CONTEXT_FIELDS)
    if unknown:
        raise ValueError(f"unknown log context fields: {sorted(unknown)}")
    tokens = [(_context[name], _context[name].set(value)) for name, value in fields.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def set_context(**fields: Any) -> None:
    """Set context fields until changed (a Streamlit script run: one thread per run)."""
    unknown = set(fields) - set(CONTEXT_FIELDS)
    if unknown:
        raise ValueError(f"unknown log context fields: {sorted(unknown)}")
    for name, value in fields.items():
        _context[name].set(value)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": redact(record.getMessage()),
        }
        for key, value in current_context().items():
            out[key] = value if isinstance(value, int | float | bool) else redact(str(value))
        for key, value in vars(record).items():
            if key not in _STD and not key.startswith("_"):
                out[key] = value if isinstance(value, int | float | bool | None) else redact(str(value))
        if record.exc_info:
            out["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False)


_HANDLER_MARK = "_course_studio_json"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (test captures swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def setup_logging(level: str | None = None, *, stream: Any = None) -> None:
    """Install the JSON handler on the root logger (idempotent: Streamlit reruns call it)."""
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(JsonFormatter())
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    # Replaces earlier console handlers; keeps others (pytest's capture, a file handler).
    keep = [
        h
        for h in root.handlers
        if not getattr(h, _HANDLER_MARK, False) and type(h) is not logging.StreamHandler
    ]
    root.handlers[:] = [*keep, handler]
    root.setLevel(level or get_settings().LOG_LEVEL)
    for noisy in ("httpx", "httpcore", "openai"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def logging_ready() -> bool:
    return any(getattr(h, _HANDLER_MARK, False) for h in logging.getLogger().handlers)
