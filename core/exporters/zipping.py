"""Deterministic ZIPs: fixed timestamps and order, so the same course gives the same bytes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

# The earliest date a ZIP entry can hold; a real date would make exports differ by run.
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def make_zip(files: Mapping[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data.encode("utf-8") if isinstance(data, str) else data)
    return buffer.getvalue()
