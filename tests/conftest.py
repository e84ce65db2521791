"""Shared fixtures: a fresh migrated database (SQLite, or PostgreSQL on this machine)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from core.db import dispose_engines, migrate
from core.settings import reset_settings

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[None]:
    """Every test starts on embedded defaults: offline provider, in-process jobs."""
    for var in (
        "REDIS_URL",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "LLM_PROVIDER",
        "OFFLINE_FAULTS",
        "OFFLINE_LATENCY_MS",
        "DATABASE_URL",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'default.db'}")
    monkeypatch.setenv("JOB_HEARTBEAT_S", "0.2")
    monkeypatch.setenv("FILES_DIR", str(tmp_path / "files"))  # exports never land in the repo
    reset_settings()
    _reset_caches()
    _reset_log_context()
    yield
    dispose_engines()
    reset_settings()
    _reset_caches()
    _reset_log_context()


def _reset_log_context() -> None:
    # AppTest runs page scripts in this process, and a script run sets the log context
    # (user, request_id) for its thread: it must not leak into the next test.
    from core.logs import CONTEXT_FIELDS, set_context

    set_context(**dict.fromkeys(CONTEXT_FIELDS))


def _reset_caches() -> None:
    try:
        from core.llm.providers import reset_provider
    except ImportError:
        return
    reset_provider()


def _use(monkeypatch: pytest.MonkeyPatch, url: str) -> str:
    monkeypatch.setenv("DATABASE_URL", url)
    reset_settings()
    dispose_engines()
    migrate(url)
    return url


def _pg_database() -> Iterator[str]:
    name = f"cs_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL is required for this test and is not reachable at {PG_ADMIN_URL}: {exc}")
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        dispose_engines()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def db(monkeypatch: pytest.MonkeyPatch, tmp_path) -> str:
    """A migrated SQLite database in a temporary folder; returns its URL."""
    return _use(monkeypatch, f"sqlite:///{tmp_path / 'test.db'}")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """An empty PostgreSQL database (not migrated); dropped afterwards."""
    yield from _pg_database()


@pytest.fixture(params=["sqlite", "postgres"])
def any_db(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path) -> Iterator[str]:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield _use(monkeypatch, f"sqlite:///{tmp_path / 'test.db'}")
        return
    for url in _pg_database():
        yield _use(monkeypatch, url)
