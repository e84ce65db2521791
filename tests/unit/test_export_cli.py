"""Command line: export every format to a file, import it back, refuse bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pptx import Presentation

from core.db import session_scope
from core.exporters.cli import main
from tests.factories import make_course


@pytest.mark.parametrize("fmt", ["json", "md", "mdx", "html", "pptx", "scorm"])
def test_export_command_writes_the_file(
    db: str, tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with session_scope(db) as session:
        course_id = make_course(session, modules=1, lessons=2, slides=2)
    out = tmp_path / f"course.{fmt}"
    assert main(["export", str(course_id), "--format", fmt, "--profile", "full", "--out", str(out)]) == 0
    assert out.stat().st_size > 0 and f"wrote {out}" in capsys.readouterr().out
    if fmt == "pptx":
        assert len(Presentation(str(out)).slides) == 1 + 1 + 4


def test_import_command_round_trips_and_refuses_bad_files(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with session_scope(db) as session:
        course_id = make_course(session, modules=1, lessons=1)
    out = tmp_path / "c.json"
    assert main(["export", str(course_id), "-f", "json", "-o", str(out)]) == 0
    assert main(["import", str(out), "--author", "cli-test"]) == 0
    assert "imported course" in capsys.readouterr().out

    bad = json.loads(out.read_text())
    bad["schema_version"] = "9"
    del bad["course"]["title"]
    out.write_text(json.dumps(bad))
    assert main(["import", str(out)]) == 2
    err = capsys.readouterr().err
    assert "E.IMPORT.INVALID" in err and "schema_version" in err and "course.title" in err


def test_unknown_course_is_a_clear_error(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "999", "--format", "json"]) == 2
    assert "E.NOT_FOUND" in capsys.readouterr().err
