"""What a revision records about the model call that wrote it: one list of fields and one
way to copy them, whichever record they come from (a revision row, the course read
model, an exported file's meta) and whichever they go to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The fields every provenance record shares, in the order the history shows them.
CALL_FIELDS = (
    "prompt_id",
    "prompt_version",
    "prompt_checksum",
    "model",
    "input_tokens",
    "output_tokens",
    "cost_usd",
)


def call_fields(source: Any) -> dict[str, Any]:
    """The shared provenance fields of any record that has them (attribute access)."""
    return {name: getattr(source, name) for name in CALL_FIELDS}


@dataclass
class Provenance:
    """What a new revision records about the call that wrote it (the write side)."""

    prompt_id: str | None = None
    prompt_version: str | None = None
    prompt_checksum: str | None = None
    model: str | None = None
    parameters: dict[str, Any] | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0

    @classmethod
    def of(cls, source: Any | None) -> Provenance | None:
        """Copied from a revision, a read-model provenance or an export's meta (None stays None)."""
        return None if source is None else cls(**call_fields(source))
