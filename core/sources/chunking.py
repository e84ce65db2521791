"""Sources split into retrievable chunks with stable ids.

A chunk never crosses a page (PDF page, PPTX slide) or a heading; long sections are cut
at paragraph boundaries. The id is the source's checksum prefix plus the chunk's
position, so the same file always yields the same ids (a re-upload keeps citations valid)
and an id says nothing a prompt could abuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.sources.convert import PAGE_BREAK

TARGET_CHARS = 1200  # about 300 tokens: several fit a lesson prompt with room to spare
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class Chunk:
    key: str
    position: int
    heading: str
    page: int | None
    text: str


def chunk_key(source_checksum: str, position: int) -> str:
    digest = source_checksum.removeprefix("sha256:")[:8]
    return f"S{digest}-{position:04d}"


def split(text_md: str, source_checksum: str, *, paged: bool) -> list[Chunk]:
    pieces: list[tuple[str, int | None, str]] = []
    for page_no, page in enumerate(text_md.split(PAGE_BREAK), 1):
        for heading, body in _sections(page):
            pieces.append((heading, page_no if paged else None, body))
    return [
        Chunk(chunk_key(source_checksum, i), i, heading, page, body)
        for i, (heading, page, body) in enumerate(pieces)
    ]


def _sections(page: str) -> list[tuple[str, str]]:
    """(heading, text) pieces of one page: cut at every heading and near TARGET_CHARS."""
    out: list[tuple[str, str]] = []
    heading = ""
    buffer: list[str] = []
    for para in re.split(r"\n\s*\n", page):
        para = para.strip()
        if not para:
            continue
        first = para.splitlines()[0]
        match = _HEADING.match(first)
        if not match and not buffer and not heading and _looks_like_title(first):
            # PDF text has no markup: a page's short first line is taken as its heading.
            heading = first.strip()[:300]
        full = bool(buffer) and sum(len(b) for b in buffer) + len(para) > TARGET_CHARS
        # Headings with no text of their own ("# Handbook" right before "## Leave") stay
        # as context at the top of the next chunk.
        if (match or full) and buffer and not all(_HEADING.match(b) for b in buffer):
            out.append((heading, "\n\n".join(buffer)))
            buffer = []
        if match:
            heading = match.group(2)[:300]
        buffer.append(_cut(para))
    if buffer:
        out.append((heading, "\n\n".join(buffer)))
    return out


def _looks_like_title(line: str) -> bool:
    line = line.strip()
    return (
        2 < len(line) <= 80
        and not line.endswith((".", ",", ";", ":"))
        and not line.startswith(("-", "*", "|"))
    )


def _cut(paragraph: str) -> str:
    """A single paragraph longer than a chunk is kept whole up to a hard cap."""
    return paragraph[: TARGET_CHARS * 4]
