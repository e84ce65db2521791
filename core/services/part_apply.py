"""What accepting a part proposal (issue 13) does to a lesson: pure rules, kept apart
from lesson_parts so that revisions can apply them without importing lesson_parts back."""

from __future__ import annotations

from typing import Any

from core.errors import AppError, Code

# What a proposal may replace on its own; "passage" rewrites a span of body_md.
REGEN_PARTS = ("quiz", "exercises", "passage")


def part_content(
    current: dict[str, Any], proposal: dict[str, Any], parameters: dict[str, Any]
) -> dict[str, Any]:
    """What accepting a part proposal makes current: today's lesson with only that part
    replaced. A whole-lesson proposal is returned as it is.

    A passage proposal applies to today's body when the passage is still in it; when the
    author has changed that passage since, accepting it is refused rather than guessed."""
    part = str(parameters.get("part") or "")
    if part not in REGEN_PARTS:
        return proposal
    if part != "passage":
        return {**current, part: proposal[part]}
    passage, rewrite = str(parameters.get("passage") or ""), str(parameters.get("rewrite") or "")
    body = str(current.get("body_md") or "")
    if passage not in body:
        raise AppError(
            Code.VALIDATION,
            "the passage this proposal rewrites was changed since; reject it and ask again",
        )
    return {**current, "body_md": body.replace(passage, rewrite, 1)}
