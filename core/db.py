"""Engine and sessions: SQLite (WAL, busy timeout, BEGIN IMMEDIATE) or PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from threading import Lock
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Result, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session, create_engine

from core.errors import NotFound
from core.settings import ROOT, get_settings

T = TypeVar("T")
_engines: dict[str, Engine] = {}
_lock = Lock()


def _make_engine(url: str) -> Engine:
    settings = get_settings()
    if not url.startswith("sqlite"):
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
        _retry_connects(engine)
        return engine

    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": settings.SQLITE_BUSY_TIMEOUT_MS / 1000},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's begin event own transactions so BEGIN IMMEDIATE can be used.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={settings.SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        # IMMEDIATE takes the write lock up front: a deferred transaction that later
        # upgrades to write fails at once with "database is locked" instead of waiting.
        # Read-only sessions stay deferred so they never queue behind writers (WAL).
        readonly = conn.get_execution_options().get("readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def _retry_connects(engine: Engine) -> None:
    """issue 10: a new connection refused during a brief outage is tried again with
    backoff for up to DB_CONNECT_RETRY_S, so a unit of work that starts during the outage
    waits for the server instead of failing. pool_pre_ping sends stale pooled
    connections here too."""
    import logging
    import time

    @event.listens_for(engine, "do_connect")
    def _connect(dialect, _conn_rec, cargs, cparams):  # type: ignore[no-untyped-def]
        settings = get_settings()
        deadline = time.monotonic() + settings.DB_CONNECT_RETRY_S
        delay = 0.1
        while True:
            try:
                return dialect.loaded_dbapi.connect(*cargs, **cparams)
            except dialect.loaded_dbapi.OperationalError:
                if time.monotonic() + delay > deadline:
                    raise
                logging.getLogger(__name__).warning("database refused a connection; retrying in %.1fs", delay)
                time.sleep(delay)
                delay = min(2.0, delay * 2)


def _after_fork_in_child() -> None:
    # RQ forks a work horse per job: the child must not share the parent's pooled
    # connections (close=False leaves the parent's sockets alone).
    global _lock
    _lock = Lock()
    for engine in _engines.values():
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_after_fork_in_child)


def get_engine(url: str | None = None) -> Engine:
    url = url or get_settings().DATABASE_URL
    with _lock:
        if url not in _engines:
            _engines[url] = _make_engine(url)
        return _engines[url]


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session_scope(url: str | None = None, *, readonly: bool = False) -> Iterator[Session]:
    """A short unit of work: commits on success, rolls back on error.

    `readonly=True` (or `read_session()`) is for reads only: on SQLite it does not take
    the write lock, so it never waits behind a writer (WAL), and a write attempted in it
    is refused rather than silently taking the lock mid-transaction.
    """
    engine = get_engine(url)
    bind = engine.execution_options(readonly=True) if readonly else engine
    with Session(bind, expire_on_commit=False, info={"readonly": readonly}) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def read_session(url: str | None = None) -> AbstractContextManager[Session]:
    """A session for reads (page loads, polls): never takes SQLite's write lock."""
    return session_scope(url, readonly=True)


def unit_of_work(url: str | None = None) -> AbstractContextManager[Session]:
    """A session that writes: on SQLite it takes the write lock when it begins
    (BEGIN IMMEDIATE), so a read-then-write inside it is serialized with other writers."""
    return session_scope(url)


class ReadOnlySession(RuntimeError):
    """A write was attempted in a read-only session: the caller needs unit_of_work()."""


@event.listens_for(Session, "before_flush")
def _refuse_flush_when_readonly(session: Session, _context: object, _instances: object) -> None:
    if not session.info.get("readonly"):
        return
    changed = session.new or session.deleted or any(session.is_modified(o) for o in session.dirty)
    if changed:
        raise ReadOnlySession("a read-only session cannot write; use unit_of_work()")


@event.listens_for(Session, "do_orm_execute")
def _refuse_dml_when_readonly(state: ORMExecuteState) -> None:
    if state.session.info.get("readonly") and (state.is_insert or state.is_update or state.is_delete):
        raise ReadOnlySession("a read-only session cannot write; use unit_of_work()")


def migrate(url: str | None = None, revision: str = "head") -> None:
    """Run Alembic migrations up to `revision` on the given (or configured) database."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = url or get_settings().DATABASE_URL
    command.upgrade(cfg, revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["url"] = url or get_settings().DATABASE_URL
    command.downgrade(cfg, revision)


# ---------------------------------------------------------------- issue 10: brief outages

_TRANSIENT_SQLSTATES = {
    "08000",
    "08001",
    "08003",
    "08004",
    "08006",
    "57P01",
    "57P02",
    "57P03",
    "40001",
    "40P01",
}


def is_missing_table(exc: BaseException) -> bool:
    """An unmigrated database: SQLite says "no such table" (an OperationalError, which
    is otherwise transient), PostgreSQL answers SQLSTATE 42P01."""
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) == "42P01" or "no such table" in str(orig or exc)


def is_transient(exc: BaseException) -> bool:
    """A database error worth retrying: a dropped or refused connection, a server
    restarting, a serialization failure, SQLite still locked after its busy timeout."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if is_missing_table(exc):
        return False
    if isinstance(exc, OperationalError):
        return True
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) in _TRANSIENT_SQLSTATES


def db_retry(fn: Callable[[], T], *, attempts: int | None = None, what: str = "database work") -> T:
    """Run a unit of work (it opens its own session) again after a transient database
    error, with capped exponential backoff. Other errors, and the last failure, propagate."""
    import logging
    import random
    import time

    settings = get_settings()
    tries = attempts or settings.DB_RETRY_ATTEMPTS
    for attempt in range(1, tries + 1):
        try:
            return fn()
        except Exception as exc:
            if attempt >= tries or not is_transient(exc):
                raise
            delay = min(settings.DB_RETRY_MAX_S, 0.2 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
            logging.getLogger(__name__).warning(
                "%s hit a transient database error (attempt %s of %s), retrying in %.1fs: %s",
                what,
                attempt,
                tries,
                delay,
                type(exc).__name__,
            )
            time.sleep(delay)
    raise AssertionError("unreachable")


def get_or_404(session: Session, model: type[T], ident: object, what: str) -> T:
    """The row with this primary key, or NotFound naming `what` (e.g. "lesson 7 not found")."""
    row = session.get(model, ident)
    if row is None:
        raise NotFound(what, ident)
    return row


def id_of(row: Any) -> int:
    """A stored row's id. Rows get their id on flush; asking before that is a bug, and
    an error here beats the id 0 that `int(row.id or 0)` used to make up."""
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id yet: add and flush it first")
    return int(row.id)


def stored_ids(values: Iterable[int | None]) -> list[int]:
    """Primary keys read back from a table: never None there, though the models type
    them optional (an unsaved row has none)."""
    return [int(v) for v in values if v is not None]


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE matched (SQLAlchemy types execute() as the generic Result)."""
    return cast(CursorResult[Any], result).rowcount


# issue 18: page-cache counters bumped by every write to the course tree (session events).
import core.cache_versions  # noqa: E402, F401
