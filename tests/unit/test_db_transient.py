"""Which database errors are retried: a dropped link is, an unmigrated database is not
(prompt labels fall back to the files only when the tables are missing)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from core import db, prompts
from core.db import db_retry, get_engine, is_missing_table, is_transient


def _error_from(url: str, sql: str) -> OperationalError:
    with get_engine(url).connect() as conn, pytest.raises(OperationalError) as caught:
        conn.execute(text(sql))
    return caught.value


def test_a_missing_table_is_not_transient_but_a_locked_database_is(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    missing = _error_from(url, "SELECT * FROM nowhere")
    assert is_missing_table(missing)
    assert not is_transient(missing)
    fake_lock = OperationalError("UPDATE jobs", {}, Exception("database is locked"))
    assert is_transient(fake_lock)
    assert not is_missing_table(fake_lock)


def test_db_retry_repeats_transient_errors_and_stops_on_others(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("time.sleep", lambda _s: None)
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
        return "ok"

    assert db_retry(flaky, attempts=5) == "ok"
    assert len(calls) == 3

    def broken() -> None:
        raise ValueError("not a database error")

    with pytest.raises(ValueError):
        db_retry(broken, attempts=5)


def test_a_prompt_label_read_during_an_outage_is_retried_not_replaced_by_the_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before: any OperationalError counted as "no tables", so a job that started while
    the database blinked silently ran the file's version instead of the labelled one."""
    monkeypatch.setattr("time.sleep", lambda _s: None)
    attempts: list[int] = []
    real_scope = db.session_scope

    def scope(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationalError("SELECT prompt_labels", {}, Exception("connection refused"))
        return real_scope(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(prompts, "session_scope", scope)
    prompts.db_label_version("outline", "production")
    assert len(attempts) == 2
