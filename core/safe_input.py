"""Limits on untrusted files before they are parsed (issue 10): ZIP-based uploads are
checked on their central directory (no inflating), JSON on its nesting depth."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from core.errors import AppError, Code
from core.settings import get_settings

# Deeper than any Course Studio document (course > modules > lessons > quiz > options is ~8).
MAX_JSON_DEPTH = 64


def check_zip(source: bytes | str | Path, *, what: str) -> None:
    """Refuse a ZIP whose entries would inflate past ZIP_MAX_UNCOMPRESSED_MB or that has
    more than ZIP_MAX_ENTRIES entries. Reads only the central directory; zipfile never
    produces more bytes for an entry than its declared size, so the declared sums bound
    what python-pptx (or any zipfile reader) can inflate."""
    settings = get_settings()
    limit = settings.ZIP_MAX_UNCOMPRESSED_MB * 1024 * 1024
    try:
        handle: Any = io.BytesIO(source) if isinstance(source, bytes) else Path(source)
        with zipfile.ZipFile(handle) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise AppError(
            Code.VALIDATION, f"{what} cannot be opened: not a valid ZIP-based file ({exc})"
        ) from exc
    if len(entries) > settings.ZIP_MAX_ENTRIES:
        raise AppError(
            Code.VALIDATION,
            f"{what} holds {len(entries)} files; at most {settings.ZIP_MAX_ENTRIES} are accepted",
        )
    total = 0
    for info in entries:
        total += info.file_size
        if total > limit:
            raise AppError(
                Code.VALIDATION,
                f"{what} would unpack to more than {settings.ZIP_MAX_UNCOMPRESSED_MB} MB "
                "(a compressed archive that inflates this much is refused)",
            )


def json_depth_problem(obj: Any, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """Why a parsed JSON value is too deeply nested, or None. Iterative: never recurses."""
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > max_depth:
                return f"the JSON is nested more than {max_depth} levels deep"
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children)
    return None
