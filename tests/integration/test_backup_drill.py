"""Backup drill on SQLite and PostgreSQL: generate, back up while a job writes, wipe,
restore, compare every table and every file. Plus the refusals: a newer schema, a
non-empty target without --force, a corrupt archive."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pptx import Presentation

from core.__main__ import main as cli
from core.backup import BackupError, backup, head_revision, read_manifest, restore
from core.db import dispose_engines, get_engine, migrate, session_scope
from core.jobs import wait_for
from core.models import JobStatus
from core.services.courses import create_course, validate_params
from core.services.exports import start_export
from core.services.generation import start_course
from core.settings import get_settings, reset_settings
from tests.actors import ADMIN
from tests.conftest import PG_ADMIN_URL


def _course(topic: str, modules: int = 2, lessons: int = 2) -> int:
    params = validate_params(
        {
            "topic": topic,
            "audience": "operators",
            "level": "beginner",
            "total_duration_minutes": 60 * modules,
            "language": "en",
            "module_count": modules,
            "lessons_per_module": lessons,
        }
    )
    with session_scope() as session:
        return int(create_course(session, params=params, actor=ADMIN).id or 0)


def _dump(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered by primary key, in comparable form."""
    engine = get_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine)
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(sa.select(table).order_by(*order)).all()
            out[table.name] = [tuple(_norm(v) for v in row) for row in rows]
    return out


def _norm(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat()
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.dumps(json.loads(value), sort_keys=True)
        except ValueError:
            return value
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def _files(base: Path) -> dict[str, bytes]:
    return {
        p.relative_to(base).as_posix(): p.read_bytes()
        for sub in ("exports", "templates")
        for p in sorted((base / sub).rglob("*"))
        if p.is_file()
    }


def _template() -> bytes:
    buf = io.BytesIO()
    Presentation().save(buf)
    return buf.getvalue()


def _wipe(url: str, files_dir: Path) -> None:
    dispose_engines()
    if url.startswith("sqlite"):
        db_file = Path(url.split("///", 1)[-1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db_file}{suffix}").unlink(missing_ok=True)
    else:
        name = url.rsplit("/", 1)[1]
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
    shutil.rmtree(files_dir, ignore_errors=True)
    migrate(url)  # what the app does on its first start on the new machine


def test_backup_restore_drill(any_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files_dir = Path(get_settings().FILES_DIR)
    # 1. A generated course with an export made from an uploaded template.
    first = _course("Backups for operators")
    assert (
        wait_for(int(start_course(course_id=first, actor=ADMIN).id or 0), timeout=120).status
        == JobStatus.succeeded
    )
    export = start_export(course_id=first, fmt="pptx", profile="full", template=_template(), actor=ADMIN)
    assert wait_for(int(export.id or 0), timeout=120).status == JobStatus.succeeded
    assert any(files_dir.joinpath("templates").iterdir()) and any(files_dir.joinpath("exports").iterdir())

    # 2. Back up while a second generation writes (slow offline calls keep it running).
    monkeypatch.setenv("OFFLINE_LATENCY_MS", "40")
    reset_settings()
    from core.llm.providers import reset_provider

    reset_provider()
    second = _course("Restores for operators", modules=3, lessons=3)
    job = start_course(course_id=second, actor=ADMIN)
    deadline = time.monotonic() + 60
    while _calls(any_db) < 3:  # the job is writing model calls and revisions
        assert time.monotonic() < deadline, "the second job never started writing"
        time.sleep(0.05)
    during = backup(tmp_path / "during.tar").manifest
    finished = wait_for(int(job.id or 0), timeout=180)
    assert finished.status == JobStatus.succeeded
    # The backup is a state from the middle of the job, not its end.
    assert 3 <= during["counts"]["llm_calls"] < _calls(any_db)

    before_rows, before_files = _dump(any_db), _files(files_dir)
    assert cli(["backup", "--out", str(tmp_path / "after.tar")]) == 0
    manifest = read_manifest(tmp_path / "after.tar")
    assert manifest["alembic_revision"] == head_revision()
    assert set(manifest["counts"]) >= {"courses", "jobs", "llm_calls", "revisions"}
    assert sorted(n[len("files/") :] for n in manifest["sha256"] if n.startswith("files/")) == sorted(
        before_files
    )

    # 3. Wipe everything, restore: every row of every table and every file comes back.
    _wipe(any_db, files_dir)
    assert _dump(any_db)["courses"] == []
    assert cli(["restore", str(tmp_path / "after.tar")]) == 0
    assert _dump(any_db) == before_rows
    assert _files(files_dir) == before_files

    # 4. The mid-job backup: refused over data without --force, then exactly its counts.
    with pytest.raises(BackupError, match="not empty"):
        restore(tmp_path / "during.tar")
    assert _dump(any_db) == before_rows
    assert cli(["restore", str(tmp_path / "during.tar"), "--force"]) == 0
    mid = _dump(any_db)
    assert {t: len(rows) for t, rows in mid.items() if t in during["counts"]} == during["counts"]


def _calls(url: str) -> int:
    with get_engine(url).connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM llm_calls")).scalar_one())


def _rewrite(src: Path, dest: Path, change: Any) -> None:
    """Copy a backup archive, letting `change(name, data)` alter members."""
    with tarfile.open(src) as tin, tarfile.open(dest, "w") as tout:
        for member in tin.getmembers():
            data = tin.extractfile(member).read()  # type: ignore[union-attr]
            data = change(member.name, data)
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            tout.addfile(info, io.BytesIO(data))


def test_restore_refuses_newer_schema_and_corrupt_archives(db: str, tmp_path: Path) -> None:
    _course("Refusals for operators")
    good = backup(tmp_path / "good.tar").path
    before = _dump(db)

    def newer(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["alembic_revision"] = "9999_from_the_future"
        return json.dumps(manifest).encode()

    _rewrite(good, tmp_path / "newer.tar", newer)
    with pytest.raises(BackupError, match=r"9999_from_the_future.*does not know"):
        restore(tmp_path / "newer.tar", force=True)

    _rewrite(
        good,
        tmp_path / "corrupt.tar",
        lambda n, d: d if n == "manifest.json" else d[:-1] + bytes([d[-1] ^ 1]),
    )
    with pytest.raises(BackupError, match=r"checksum of database\.sqlite does not match"):
        restore(tmp_path / "corrupt.tar", force=True)

    (tmp_path / "junk.tar").write_bytes(b"not a tar")
    assert cli(["restore", str(tmp_path / "junk.tar")]) == 1
    assert _dump(db) == before  # nothing changed by any refused restore


def test_restore_into_postgres_refuses_sqlite_backup(db: str, tmp_path: Path) -> None:
    _course("Wrong kind of backup")
    path = backup(tmp_path / "lite.tar").path
    with pytest.raises(BackupError, match="holds a sqlite backup; DATABASE_URL is postgresql"):
        restore(path, url="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def test_backup_is_consistent_while_threads_write(db: str, tmp_path: Path) -> None:
    """SQLite's online backup copies one state even while another connection commits."""
    course_id = _course("Writers during a backup")
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        engine = get_engine(db)
        while not stop.is_set():
            with engine.begin() as conn:
                conn.execute(
                    sa.text("UPDATE courses SET title = :t WHERE id = :i"),
                    {"t": f"title {written[0]}", "i": course_id},
                )
            written[0] += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 5:
            time.sleep(0.01)
        manifest = backup(tmp_path / "busy.tar").manifest
    finally:
        stop.set()
        thread.join()
    assert manifest["counts"]["courses"] == 1
    assert written[0] > 5
