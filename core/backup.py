"""Backups that restore: the database, FILES_DIR exports and templates, and a manifest.

A backup is one tar archive:

    manifest.json   format, database kind, Alembic revision, rows per table, sha256 per member
    database.sqlite SQLite: a copy made with SQLite's online backup API
    database.dump   PostgreSQL: `pg_dump -Fc` of an exported snapshot
    files/...       FILES_DIR/exports and FILES_DIR/templates

Both databases are copied consistently while the app writes: SQLite's backup API copies
one state of the file, and on PostgreSQL the row counts and `pg_dump --snapshot` read
the same exported snapshot, so the manifest describes exactly what the dump holds.

Restore refuses an archive whose schema revision this code does not know (it is newer),
refuses a database that already holds rows unless forced, checks every checksum before
it touches anything, then migrates an older backup up to this code's head.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa

from core.db import dispose_engines, get_engine, migrate
from core.errors import AppError, Code
from core.settings import ROOT, get_settings

FORMAT = 1
FILE_DIRS = ("exports", "templates")  # what FILES_DIR holds that is worth restoring


class BackupError(AppError):
    def __init__(self, message: str) -> None:
        super().__init__(Code.VALIDATION, message)


@dataclass
class Result:
    path: Path
    manifest: dict[str, Any]


# ------------------------------------------------------------------ helpers


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _tables() -> list[str]:
    from sqlmodel import SQLModel

    import core.models  # noqa: F401  (registers every table)

    return [t.name for t in SQLModel.metadata.sorted_tables]


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    return ",".join(sorted(heads))


def _known_revisions() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return {rev.revision for rev in ScriptDirectory.from_config(cfg).walk_revisions()}


def _counts(conn: sa.Connection, tables: list[str]) -> dict[str, int]:
    existing = set(sa.inspect(conn).get_table_names())
    return {
        t: int(conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one())
        for t in tables
        if t in existing
    }


def _revision(conn: sa.Connection) -> str | None:
    if "alembic_version" not in sa.inspect(conn).get_table_names():
        return None
    rows = [r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version"))]
    return ",".join(sorted(rows)) or None


def _libpq_url(url: str) -> str:
    """postgresql+psycopg://... -> postgresql://... (what pg_dump and pg_restore take)."""
    return re.sub(r"^postgresql\+\w+://", "postgresql://", url)


def _pg_env() -> dict[str, str]:
    return {**os.environ, "PGCONNECT_TIMEOUT": "10"}


def _check_pg_tools(conn: sa.Connection, tool: str) -> None:
    server = int(conn.execute(sa.text("SHOW server_version_num")).scalar_one()) // 10000
    try:
        out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise BackupError(f"{tool} is needed for PostgreSQL backups and cannot be run: {exc}") from exc
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    client = int(match.group(1)) if match else 0
    if client < server:
        raise BackupError(
            f"{tool} {client} is older than the PostgreSQL server ({server}); install postgresql-client-{server}"
        )


def _files_dir() -> Path:
    return Path(get_settings().FILES_DIR)


def _iter_files(base: Path) -> Iterator[tuple[str, Path]]:
    for sub in FILE_DIRS:
        root = base / sub
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(base).as_posix(), path


# ------------------------------------------------------------------ backup


def backup(out: str | Path, url: str | None = None) -> Result:
    """Write a backup archive of the configured database and FILES_DIR to `out`."""
    url = url or get_settings().DATABASE_URL
    out = Path(out)
    if not out.parent.is_dir():
        raise BackupError(f"--out: folder {out.parent} does not exist")
    tables = _tables()
    with tempfile.TemporaryDirectory(prefix="cs-backup-") as tmp:
        work = Path(tmp)
        if url.startswith("sqlite"):
            db_member, revision, counts = (
                "database.sqlite",
                *_backup_sqlite(url, work / "database.sqlite", tables),
            )
        else:
            db_member, revision, counts = (
                "database.dump",
                *_backup_postgres(url, work / "database.dump", tables),
            )
        members: dict[str, Path] = {db_member: work / db_member}
        for rel, path in _iter_files(_files_dir()):
            # Copy first: an export written during the backup must not change under the checksum.
            dest = work / "files" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
            members[f"files/{rel}"] = dest
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": "sqlite" if url.startswith("sqlite") else "postgresql",
            "alembic_revision": revision,
            "counts": counts,
            "sha256": {name: _sha256_file(path) for name, path in members.items()},
            "bytes": {name: path.stat().st_size for name, path in members.items()},
        }
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w") as tar:
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime, info.mode = len(data), int(datetime.now(UTC).timestamp()), 0o644
            tar.addfile(info, io.BytesIO(data))
            for name, path in members.items():
                tar.add(path, arcname=name, recursive=False)
        partial.replace(out)  # a half-written archive never carries the final name
    return Result(out, manifest)


def _backup_sqlite(url: str, dest: Path, tables: list[str]) -> tuple[str | None, dict[str, int]]:
    source_path = url.split("///", 1)[-1]
    if not Path(source_path).is_file():
        raise BackupError(f"the SQLite database {source_path} does not exist")
    src = sqlite3.connect(source_path, timeout=get_settings().SQLITE_BUSY_TIMEOUT_MS / 1000)
    dst = sqlite3.connect(dest)
    try:
        # pages=-1: one step, so the copy is one consistent state even while the app writes.
        src.backup(dst, pages=-1)
    finally:
        src.close()
        dst.close()
    engine = sa.create_engine(f"sqlite:///{dest}")
    try:
        with engine.connect() as conn:
            return _revision(conn), _counts(conn, tables)
    finally:
        engine.dispose()


def _backup_postgres(url: str, dest: Path, tables: list[str]) -> tuple[str | None, dict[str, int]]:
    engine = sa.create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            _check_pg_tools(conn, "pg_dump")
            # The snapshot stays valid while this transaction is open: the counts here and
            # pg_dump read the very same data.
            snapshot = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            revision, counts = _revision(conn), _counts(conn, tables)
            proc = subprocess.run(
                ["pg_dump", "-Fc", "--no-owner", f"--snapshot={snapshot}", "-f", str(dest), _libpq_url(url)],
                capture_output=True,
                text=True,
                env=_pg_env(),
            )
            conn.rollback()
    finally:
        engine.dispose()
    if proc.returncode != 0:
        raise BackupError(f"pg_dump failed: {proc.stderr.strip()[:2000]}")
    return revision, counts


# ------------------------------------------------------------------ restore


def read_manifest(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"backup file {path} does not exist")
    try:
        with tarfile.open(path, "r") as tar:
            member = tar.extractfile("manifest.json")
            if member is None:
                raise KeyError("manifest.json")
            manifest: dict[str, Any] = json.loads(member.read())
    except (tarfile.TarError, KeyError, json.JSONDecodeError) as exc:
        raise BackupError(f"{path} is not a Course Studio backup: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"{path}: backup format {manifest.get('format')!r} is not supported (expected {FORMAT})"
        )
    return manifest


def _safe_name(name: str) -> bool:
    p = PurePosixPath(name)
    return not p.is_absolute() and ".." not in p.parts and name not in ("", ".")


def _extract(path: Path, manifest: dict[str, Any], into: Path) -> None:
    """Extract the members the manifest lists, refusing anything else or any bad checksum."""
    expected: dict[str, str] = manifest.get("sha256", {})
    with tarfile.open(path, "r") as tar:
        for member in tar.getmembers():
            if member.name == "manifest.json":
                continue
            if member.name not in expected or not member.isfile() or not _safe_name(member.name):
                raise BackupError(f"{path}: unexpected member {member.name!r} (not in the manifest)")
            src = tar.extractfile(member)
            assert src is not None
            dest = into / member.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            with dest.open("wb") as fh:
                shutil.copyfileobj(src, fh)
    for name, digest in expected.items():
        file = into / name
        if not file.is_file():
            raise BackupError(f"{path}: {name} is listed in the manifest but missing")
        if _sha256_file(file) != digest:
            raise BackupError(f"{path}: checksum of {name} does not match the manifest (corrupt backup)")


def _has_rows(url: str, tables: list[str]) -> dict[str, int]:
    engine = get_engine(url)
    with engine.connect() as conn:
        return {t: n for t, n in _counts(conn, tables).items() if n}


def _files_present(base: Path) -> list[str]:
    return [rel for rel, _ in _iter_files(base)]


def restore(path: str | Path, *, force: bool = False, url: str | None = None) -> dict[str, Any]:
    """Restore a backup into the configured database and FILES_DIR; returns the manifest."""
    path = Path(path)
    url = url or get_settings().DATABASE_URL
    manifest = read_manifest(path)
    revision = manifest.get("alembic_revision")
    known = _known_revisions()
    if revision and any(r not in known for r in str(revision).split(",")):
        raise BackupError(
            f"{path} comes from schema revision {revision}, which this version of Course Studio does not "
            f"know (it is at {head_revision()}): upgrade the app before restoring"
        )
    kind = "sqlite" if url.startswith("sqlite") else "postgresql"
    if manifest.get("database") != kind:
        raise BackupError(f"{path} holds a {manifest.get('database')} backup; DATABASE_URL is {kind}")
    tables = _tables()
    with tempfile.TemporaryDirectory(prefix="cs-restore-") as tmp:
        work = Path(tmp)
        _extract(path, manifest, work)  # every checksum verified before anything changes
        occupied = _has_rows(url, tables)
        files = _files_present(_files_dir())
        if (occupied or files) and not force:
            detail = ", ".join(f"{t}: {n}" for t, n in occupied.items()) or f"{len(files)} files in FILES_DIR"
            raise BackupError(f"the target is not empty ({detail}); use --force to overwrite it")
        dispose_engines()
        if kind == "sqlite":
            _restore_sqlite(url, work / "database.sqlite")
        else:
            _restore_postgres(url, work / "database.dump")
        _restore_files(work / "files", _files_dir())
    dispose_engines()
    migrate(url)  # a backup from an older schema comes up to this code's head
    engine = get_engine(url)
    with engine.connect() as conn:
        counts = _counts(conn, tables)
    wrong = {t: (n, counts.get(t)) for t, n in manifest.get("counts", {}).items() if counts.get(t) != n}
    if wrong and revision == head_revision():
        raise BackupError(f"restored row counts differ from the manifest: {wrong}")
    return manifest


def _restore_sqlite(url: str, source: Path) -> None:
    target = url.split("///", 1)[-1]
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target, timeout=get_settings().SQLITE_BUSY_TIMEOUT_MS / 1000)
    try:
        src.backup(dst, pages=-1)  # replaces every page of the target, WAL included
    finally:
        src.close()
        dst.close()


def _restore_postgres(url: str, dump: Path) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            _check_pg_tools(conn, "pg_restore")
            # Drop what the app's tables are first: pg_restore --clean cannot drop tables a
            # newer migration added, and the dump recreates all it had.
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
            conn.commit()
    finally:
        engine.dispose()
    proc = subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            "-d",
            _libpq_url(url),
            str(dump),
        ],
        capture_output=True,
        text=True,
        env=_pg_env(),
    )
    if proc.returncode != 0:
        raise BackupError(f"pg_restore failed: {proc.stderr.strip()[:2000]}")


def _restore_files(source: Path, base: Path) -> None:
    for sub in FILE_DIRS:
        target = base / sub
        if target.exists():
            shutil.rmtree(target)  # the restored folder is exactly the backed-up one
        if (source / sub).is_dir():
            shutil.copytree(source / sub, target)
