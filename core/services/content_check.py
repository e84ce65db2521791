"""Moderation and PII checks before anything is stored (proposal 11, issue 9).

Every model answer and every human edit passes ``check_content`` before its revision is
written. The policy (settings CONTENT_POLICY) says per kind of finding what happens:

- block: the content is not applied; it is kept as a quarantined revision with its
  findings, so nothing is lost and a person can fix it;
- flag: stored as usual, with the findings on the revision (shown in history/editor);
- redact: the matched values are replaced by "[kind removed]" before storing.

PII is scanned offline (core/pii.py). OpenAI moderation runs when the provider is openai
(setting MODERATION=auto), through the provider's SDK client on the one httpx client, so
its timeouts and 429/5xx are retried exactly like generation calls. If it still fails,
the failure is itself a "moderation" finding: with the default policy (block) the
content waits as a quarantined draft instead of being stored unchecked.

No database transaction may be open while this runs (it can make an HTTP call).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from core.errors import AppError
from core.llm.providers import get_provider
from core.pii import redact, scan
from core.settings import Settings, get_settings

log = logging.getLogger(__name__)

# Moderation input is chunked so one request carries a whole lesson.
_MODERATION_CHUNK_CHARS = 8000


@dataclass(frozen=True)
class Finding:
    kind: str  # a PII kind or "moderation"
    action: str  # block | flag | redact
    where: str  # the field path in the content, e.g. "quiz.0.question"
    sample: str  # masked: never the value itself

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def describe(self) -> str:
        return f"{self.kind} in {self.where or 'text'} ({self.sample}): {self.action}"


@dataclass
class CheckOutcome:
    content: dict[str, Any]  # redacted where the policy says so
    findings: list[Finding] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return any(f.action == "block" for f in self.findings)

    @property
    def flagged(self) -> bool:
        return any(f.action == "flag" for f in self.findings)

    def records(self) -> list[dict[str, str]]:
        return [f.as_dict() for f in self.findings]

    def summary(self) -> str:
        return "; ".join(f.describe() for f in self.findings)


def _walk(value: Any, path: str, fn: Callable[[str, str], str]) -> Any:
    """Rebuild a JSON-like value with fn(path, text) applied to every string in it."""
    if isinstance(value, str):
        return fn(path, value)
    if isinstance(value, dict):
        return {k: _walk(v, f"{path}.{k}" if path else str(k), fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, f"{path}.{i}" if path else str(i), fn) for i, v in enumerate(value)]
    return value


def _strings(content: dict[str, Any]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []

    def keep(path: str, text: str) -> str:
        found.append((path, text))
        return text

    _walk(content, "", keep)
    return found


def _chunks(texts: list[str]) -> list[str]:
    chunks, current = [], ""
    for text in texts:
        while len(text) > _MODERATION_CHUNK_CHARS:
            chunks.append(text[:_MODERATION_CHUNK_CHARS])
            text = text[_MODERATION_CHUNK_CHARS:]
        if current and len(current) + len(text) + 2 > _MODERATION_CHUNK_CHARS:
            chunks.append(current)
            current = ""
        current = f"{current}\n\n{text}" if current else text
    if current:
        chunks.append(current)
    return chunks


def _moderator(settings: Settings) -> Any:
    """The provider's moderate() when moderation applies, else None."""
    if settings.MODERATION == "off" or settings.provider_name != "openai":
        return None

    provider = get_provider()
    return getattr(provider, "moderate", None)


def moderation_findings(texts: list[str], settings: Settings, moderate: Any) -> list[Finding]:
    action = settings.content_policy["moderation"]
    chunks = _chunks([t for t in texts if t.strip()])
    if not chunks:
        return []
    try:
        results = moderate(chunks, settings.MODERATION_MODEL)
    except AppError as exc:
        # Retried already by the shared transport; still failing means "not checked".
        log.warning("moderation failed after retries: %s", exc.code)
        return [Finding("moderation", action, "", f"not checked: {exc.code}")]
    flagged = sorted(
        {name for r in results if r.get("flagged") for name, on in (r.get("categories") or {}).items() if on}
    )
    if any(r.get("flagged") for r in results):
        return [Finding("moderation", action, "", ", ".join(flagged) or "flagged")]
    return []


def check_content(
    content: dict[str, Any], *, settings: Settings | None = None, moderate: Any = "auto"
) -> CheckOutcome:
    """PII scan and moderation of every text in a node's content; see the module doc."""
    settings = settings or get_settings()
    policy = settings.content_policy
    findings: list[Finding] = []

    def scan_one(path: str, text: str) -> str:
        matches = scan(text)
        for m in matches:
            findings.append(Finding(m.kind, policy[m.kind], path, m.masked()))
        to_redact = [m for m in matches if policy[m.kind] == "redact"]
        return redact(text, to_redact) if to_redact else text

    checked = _walk(content, "", scan_one)
    moderator = _moderator(settings) if moderate == "auto" else moderate
    if moderator is not None:
        findings += moderation_findings([text for _, text in _strings(checked)], settings, moderator)
    return CheckOutcome(content=checked, findings=findings)
