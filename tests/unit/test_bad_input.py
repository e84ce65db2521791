"""Bad input refused cleanly (issue 10): ZIP bombs, deeply nested JSON."""

from __future__ import annotations

import io
import zipfile
import zlib

import pytest

from core.errors import AppError
from core.exporters.json_export import parse_import
from core.services.exports import save_template, templates_dir

GIB = 1024 * 1024 * 1024


def _bomb() -> bytes:
    """A ~1 MB .pptx-named ZIP whose one entry inflates to 1 GiB of zeros, built by
    streaming (never holding the GiB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(16 * 1024 * 1024)
    parts = [compressor.compress(chunk) for _ in range(GIB // len(chunk))]
    parts.append(compressor.flush())
    data = b"".join(parts)
    crc = 0
    for _ in range(GIB // len(chunk)):
        crc = zlib.crc32(chunk, crc)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("ppt/media/image1.bin")
        info.compress_type = zipfile.ZIP_DEFLATED
        info.file_size, info.compress_size, info.CRC = GIB, len(data), crc
        # write the already-deflated bytes as they are (what an attacker would upload)
        archive.fp.write(info.FileHeader(zip64=True))  # type: ignore[union-attr]
        info.header_offset = 0
        archive.fp.write(data)  # type: ignore[union-attr]
        archive.filelist.append(info)
        archive.NameToInfo[info.filename] = info
        archive.start_dir = archive.fp.tell()  # type: ignore[union-attr]
    return buffer.getvalue()


def test_a_pptx_that_inflates_to_a_gibibyte_is_refused(db: str) -> None:
    bomb = _bomb()
    assert len(bomb) < 2 * 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        assert archive.infolist()[0].file_size == GIB  # really a 1 GiB entry
    with pytest.raises(AppError) as err:
        save_template(bomb, "bomb.pptx")
    assert "would unpack to more than" in err.value.message and "bomb.pptx" in err.value.message
    assert not templates_dir().exists() or not any(templates_dir().iterdir())


def test_a_zip_with_too_many_entries_is_refused(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(6000):
            archive.writestr(f"f{i}.xml", b"")
    with pytest.raises(AppError) as err:
        save_template(buffer.getvalue(), "many.pptx")
    assert "holds 6000 files" in err.value.message


@pytest.mark.parametrize("opener", ['{"a":', "["])
def test_course_json_nested_5000_deep_is_refused(db: str, opener: str) -> None:
    closer = "}" if opener.startswith("{") else "]"
    text = opener * 5000 + "1" + closer * 5000
    with pytest.raises(AppError) as err:
        parse_import(text.encode())
    assert "nested more than" in err.value.message


def test_course_json_nested_beyond_the_limit_but_parseable_is_refused(db: str) -> None:
    text = '{"format": "x", "course": ' + "[" * 200 + "]" * 200 + "}"
    with pytest.raises(AppError) as err:
        parse_import(text)
    assert "nested more than 64 levels" in err.value.message
