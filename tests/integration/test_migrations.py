"""The same Alembic migrations on SQLite and PostgreSQL: up, down, up, and no drift."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import core.models  # noqa: F401  (tables on the metadata)
from core.db import downgrade, get_engine, migrate

TABLES = {
    "courses",
    "modules",
    "lessons",
    "slides",
    "revisions",
    "jobs",
    "llm_calls",
    "prompt_versions",
    "prompt_labels",
    "prompt_label_events",
    "eval_runs",
    "users",  # issue 9
}


def _tables(url: str) -> set[str]:
    return set(sa.inspect(get_engine(url)).get_table_names()) - {"alembic_version"}


def _drift(url: str) -> list:
    with get_engine(url).connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)


def _check(url: str) -> None:
    migrate(url)
    assert _tables(url) >= TABLES
    assert _drift(url) == [], "models and migrations disagree; write a migration"
    downgrade(url, "base")
    assert _tables(url) == set()
    migrate(url)
    assert _tables(url) >= TABLES


def test_migrations_on_sqlite(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    _check(url)
    with get_engine(url).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_migrations_on_postgresql(pg_url: str) -> None:
    _check(pg_url)
