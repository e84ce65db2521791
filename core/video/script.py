"""Video scripts as text: one block per slide, and the scenes HeyGen is sent.

    ## Slide title
    What the narrator says while this slide is shown (any number of lines).

The same "## Title" convention as the slide deck editor, so a script block lines up with
its slide; text before the first title is refused with the line number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from core.errors import InvalidInput

WORDS_PER_MINUTE = 150  # a calm presenter; the estimate, not a promise


@dataclass(frozen=True)
class ScriptBlock:
    title: str
    text: str


def parse_script(text: str) -> list[ScriptBlock]:
    blocks: list[ScriptBlock] = []
    lines: list[str] = []
    title: str | None = None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("## ") or line == "##":
            if title is not None:
                blocks.append(ScriptBlock(title, " ".join(lines).strip()))
            title, lines = line[2:].strip(), []
            continue
        if not line:
            continue
        if title is None:
            raise InvalidInput(
                "the video script is not valid",
                [
                    {
                        "field": f"line {n}",
                        "message": "start each scene with a '## Slide title' line",
                        "type": "script_no_title",  # issue-12: said in the UI's language by type
                    }
                ],
            )
        lines.append(line)
    if title is not None:
        blocks.append(ScriptBlock(title, " ".join(lines).strip()))
    if not blocks:
        raise InvalidInput(
            "the video script is not valid",
            [
                {
                    "field": "text",
                    "message": "the script is empty; write at least one '## Title' scene",
                    "type": "script_empty",
                }
            ],
        )
    empty = [b.title or "(untitled)" for b in blocks if not b.text]
    if empty:
        raise InvalidInput(
            "the video script is not valid",
            [
                {
                    "field": t,
                    "message": "this scene has nothing to say; write its narration",
                    "type": "script_silent",
                    "ctx": {"title": t},
                }
                for t in empty
            ],
        )
    return blocks


def script_from_slides(slides: list[dict[str, Any]]) -> str:
    """The first draft: each slide's speaker notes (its bullets when it has no notes)."""
    out = []
    for slide in slides:
        said = str(slide.get("notes") or "").strip() or ". ".join(
            str(b).rstrip(".") for b in slide.get("bullets", [])
        )
        out.append(f"## {slide.get('title', '')}\n{said or slide.get('title', '')}")
    return "\n\n".join(out) + ("\n" if out else "")


def words(text: str) -> int:
    return len(re.findall(r"\w+", text))


def estimate_seconds(blocks: list[ScriptBlock]) -> float:
    return sum(words(b.text) for b in blocks) * 60.0 / WORDS_PER_MINUTE


def split_scenes(blocks: list[ScriptBlock], max_chars: int) -> list[str]:
    """HeyGen scenes: consecutive blocks joined while they fit in `max_chars` (HeyGen's
    per-request script limit); a block longer than that is cut at sentence ends."""
    pieces: list[str] = []
    for block in blocks:
        if len(block.text) <= max_chars:
            pieces.append(block.text)
            continue
        current = ""
        for sentence in re.split(r"(?<=[.!?…])\s+", block.text):
            while len(sentence) > max_chars:  # one sentence longer than a scene: hard cut
                if current:
                    pieces.append(current)
                    current = ""
                pieces.append(sentence[:max_chars])
                sentence = sentence[max_chars:]
            if current and len(current) + 1 + len(sentence) > max_chars:
                pieces.append(current)
                current = sentence
            else:
                current = f"{current} {sentence}".strip()
        if current:
            pieces.append(current)
    scenes: list[str] = []
    for piece in pieces:
        if scenes and len(scenes[-1]) + 2 + len(piece) <= max_chars:
            scenes[-1] = f"{scenes[-1]}\n\n{piece}"
        else:
            scenes.append(piece)
    return scenes
