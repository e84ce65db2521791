"""Application errors with machine-readable codes."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Code(StrEnum):
    OPENAI_TIMEOUT = "E.OPENAI.TIMEOUT"
    OPENAI_RATE_LIMIT = "E.OPENAI.RATE_LIMIT"
    OPENAI_AUTH = "E.OPENAI.AUTH"
    OPENAI_SERVER = "E.OPENAI.SERVER"
    OPENAI_BAD_REQUEST = "E.OPENAI.BAD_REQUEST"
    OPENAI_CONNECTION = "E.OPENAI.CONNECTION"
    LLM_INVALID_OUTPUT = "E.LLM.INVALID_OUTPUT"
    LLM_REFUSED = "E.LLM.REFUSED"
    LLM_TRUNCATED = "E.LLM.TRUNCATED"
    HEYGEN_QUOTA = "E.HEYGEN.QUOTA"
    DB_CONSTRAINT = "E.DB.CONSTRAINT"
    DB_CONFLICT = "E.DB.CONFLICT"
    NOT_FOUND = "E.NOT_FOUND"
    VALIDATION = "E.VALIDATION"
    JOB_CANCELED = "E.JOB.CANCELED"
    JOB_ORPHANED = "E.JOB.ORPHANED"
    PROMPT_INVALID = "E.PROMPT.INVALID"
    IMPORT_INVALID = "E.IMPORT.INVALID"
    BUDGET_EXCEEDED = "E.BUDGET.EXCEEDED"
    INTERNAL = "E.INTERNAL"
    # Issue 8: a budgeted job asked for a model with no price in the prices file.
    BUDGET_NO_PRICE = "E.BUDGET.NO_PRICE"
    # issue 10
    DB_UNAVAILABLE = "E.DB.UNAVAILABLE"
    JOB_INTERRUPTED = "E.JOB.INTERRUPTED"
    # issue 9 (sign-in, roles, spending caps)
    AUTH_FORBIDDEN = "E.AUTH.FORBIDDEN"
    AUTH_NOT_ALLOWED = "E.AUTH.NOT_ALLOWED"
    BUDGET_CAP = "E.BUDGET.CAP"
    # issue 9 (security): sandboxed templates, moderation and PII checks before save
    TEMPLATE_REFUSED = "E.TEMPLATE.REFUSED"
    CONTENT_BLOCKED = "E.CONTENT.BLOCKED"
    MODERATION_FAILED = "E.MODERATION.FAILED"
    # issue-14: video (HeyGen and the local renderer)
    HEYGEN_AUTH = "E.HEYGEN.AUTH"
    HEYGEN_RATE_LIMIT = "E.HEYGEN.RATE_LIMIT"
    HEYGEN_BLOCKED_WORDS = "E.HEYGEN.BLOCKED_WORDS"
    HEYGEN_RENDER_FAILED = "E.HEYGEN.RENDER_FAILED"
    HEYGEN_TIMEOUT = "E.HEYGEN.TIMEOUT"
    HEYGEN_BAD_REQUEST = "E.HEYGEN.BAD_REQUEST"
    HEYGEN_SERVER = "E.HEYGEN.SERVER"
    VIDEO_TOOL_MISSING = "E.VIDEO.TOOL_MISSING"
    VIDEO_RENDER = "E.VIDEO.RENDER"
    # issue-17: an uploaded source refused (type, size, pages, encryption, damage)
    SOURCE_REFUSED = "E.SOURCE.REFUSED"


class AppError(Exception):
    """An error a user or a job record can show: a code, a message, optional details."""

    def __init__(
        self,
        code: Code | str,
        message: str,
        *,
        details: Any = None,
        retryable: bool = False,
    ) -> None:
        super().__init__(message)
        self.code = str(code)
        self.message = message
        self.details = details
        self.retryable = retryable

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class NotFound(AppError):
    def __init__(self, what: str, ident: object) -> None:
        super().__init__(Code.NOT_FOUND, f"{what} {ident} not found")


class ConflictError(AppError):
    """An optimistic-concurrency save lost: someone saved first."""

    def __init__(self, message: str, *, kept_revision_id: int | None = None) -> None:
        super().__init__(Code.DB_CONFLICT, message, details={"kept_revision_id": kept_revision_id})
        self.kept_revision_id = kept_revision_id


class InvalidInput(AppError):
    """Bad input from a form, a CLI flag or an imported file: every problem listed."""

    def __init__(self, message: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(Code.VALIDATION, message, details=errors)
        self.errors = errors


def field_errors(exc: Exception) -> list[dict[str, str]]:
    """Flatten a pydantic ValidationError into [{field, message}]."""
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError):
        return [{"field": "", "message": str(exc)}]
    out: list[dict[str, Any]] = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()))
        item: dict[str, Any] = {"field": loc, "message": err.get("msg", "invalid")}
        # issue-12: the error type and its limits let the UI say it in the user's language.
        item["type"] = str(err.get("type", ""))
        item["ctx"] = {k: v for k, v in (err.get("ctx") or {}).items() if isinstance(v, int | float | str)}
        out.append(item)
    return out
