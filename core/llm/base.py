"""The provider protocol: one request in, one raw answer (text plus usage) out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel


@dataclass
class LLMRequest:
    step: str  # outline | lesson | slides | playground | ...
    messages: list[dict[str, str]]
    schema: type[BaseModel]
    model: str
    temperature: float = 0.4
    max_output_tokens: int = 4000
    # The offline provider builds its content from these; remote providers ignore them.
    variables: dict[str, Any] = field(default_factory=dict)
    remediation: bool = False


@dataclass
class LLMResponse:
    text: str
    model: str
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    refusal: str | None = None
    finish_reason: str | None = None  # "length" means the answer was cut off


class LLMProvider(Protocol):
    name: str

    def complete(self, request: LLMRequest) -> LLMResponse:
        """Return the model's answer, or raise AppError with an E.OPENAI.* / E.LLM.* code."""
        ...
