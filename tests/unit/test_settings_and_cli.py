"""Settings, logs and the command line as a user meets them."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from core.logs import JsonFormatter
from core.settings import ROOT, Settings, reset_settings


def test_provider_auto_follows_the_key(monkeypatch) -> None:
    assert Settings().provider_name == "offline"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-abcdefghijkl")
    assert Settings().provider_name == "openai"
    monkeypatch.setenv("OPENAI_API_KEY", "   ")
    assert Settings().provider_name == "offline"


def test_secrets_are_masked_and_placeholders_refused(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-abcdefghijkl")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://app:hunter2@db:5432/cs")
    safe = json.dumps(Settings().safe_dict())
    assert "sk-live" not in safe and "hunter2" not in safe
    assert "sk-live" not in repr(Settings())
    monkeypatch.setenv("APP_ENV", "prod")
    monkeypatch.setenv("OPENAI_API_KEY", "changeme")
    with pytest.raises(ValueError, match="placeholder"):
        Settings()


def test_openai_provider_without_key_is_refused(monkeypatch) -> None:
    monkeypatch.setenv("LLM_PROVIDER", "openai")
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        Settings()


def test_log_records_never_carry_keys() -> None:
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "call failed with key sk-abcdef1234567890", None, None
    )
    record.header = "Bearer sk-abcdef1234567890"
    line = JsonFormatter().format(record)
    assert "sk-abcdef" not in line and "[redacted]" in line


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "OPENAI_API_KEY")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'cli' / 'cli.db'}", LLM_PROVIDER="offline")
    reset_settings()
    return env


def test_generate_with_bad_parameters_lists_every_field_and_writes_nothing(cli_env, tmp_path) -> None:
    out = tmp_path / "course.json"
    result = _cli(
        "generate",
        "--topic",
        "x",
        "--modules",
        "0",
        "--lessons",
        "abc",
        "--level",
        "expert",
        "--language",
        "de",
        "--out",
        str(out),
        env=cli_env,
    )
    assert result.returncode == 2
    for flag in ("--topic", "--modules", "--lessons", "--level", "--language"):
        assert flag in result.stderr
    assert not out.exists()
    assert not (tmp_path / "cli").exists()  # not even a database file


def test_generate_writes_a_complete_course_and_jobs_lists_it(cli_env, tmp_path) -> None:
    out = tmp_path / "course.json"
    result = _cli(
        "generate",
        "--topic",
        "Основы SQL",
        "--language",
        "ru",
        "--modules",
        "2",
        "--lessons",
        "2",
        "--duration",
        "60",
        "--out",
        str(out),
        "--quiet",
        env=cli_env,
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    text = json.dumps(document, ensure_ascii=False)
    assert "Основы SQL" in text or "SQL" in text
    modules = document.get("modules") or document.get("course", {}).get("modules")
    assert len(modules) == 2 and all(len(m["lessons"]) == 2 for m in modules)
    jobs = _cli("jobs", env=cli_env)
    assert jobs.returncode == 0 and "course" in jobs.stdout and "succeeded" in jobs.stdout


def test_estimate_prints_steps_and_what_openai_would_cost(cli_env) -> None:
    result = _cli(
        "estimate",
        "--topic",
        "Git for designers",
        "--modules",
        "2",
        "--lessons",
        "3",
        "--duration",
        "90",
        env=cli_env,
    )
    assert result.returncode == 0, result.stderr
    assert "outline" in result.stdout and "lesson" in result.stdout and "slides" in result.stdout
    assert "with the configured OpenAI models: ~$0.0" in result.stdout


# issue 9: the CLI acts as a local admin; --author is recorded as who started the job, and
# a spending cap refuses the generation before any call, with the figures.
def test_generate_records_the_author_and_respects_spending_caps(cli_env, tmp_path, monkeypatch) -> None:
    from datetime import UTC, datetime

    from sqlmodel import select

    from core.db import dispose_engines, session_scope
    from core.jobs import create_job
    from core.models import Course, Job, JobStatus, LLMCall

    args = (
        "generate",
        "--topic",
        "Git basics",
        "--modules",
        "1",
        "--lessons",
        "1",
        "--duration",
        "20",
        "--quiet",
    )
    out = tmp_path / "c.json"
    done = _cli(*args, "--out", str(out), "--author", "ann@example.com", env=cli_env)
    assert done.returncode == 0, done.stderr
    monkeypatch.setenv("DATABASE_URL", cli_env["DATABASE_URL"])
    reset_settings()
    with session_scope() as session:
        assert {j.started_by for j in session.exec(select(Job))} == {"ann@example.com"}
        courses_before = len(session.exec(select(Course)).all())
        job = create_job(session, kind="lessons", started_by="ann@example.com")
        job.status = JobStatus.succeeded  # a finished job: no runner picks it up
        session.add(
            LLMCall(job_id=job.id, step="lesson", provider="openai", model="m", prompt_id="lesson",
                    prompt_version="1", prompt_checksum="x", cost_usd=2.0, outcome="ok",
                    created_at=datetime.now(UTC))
        )  # fmt: skip
    dispose_engines()
    capped = {**cli_env, "SPEND_CAP_USER_DAILY_USD": "2"}
    refused = _cli(*args, "--author", "ann@example.com", env=capped)
    assert refused.returncode == 1
    assert "E.BUDGET.CAP" in refused.stderr and "spent $2.00" in refused.stderr, refused.stderr
    with session_scope() as session:
        assert len(session.exec(select(Course)).all()) == courses_before  # nothing written
    dispose_engines()
    other = _cli(*args, "--out", str(out), "--author", "bob@example.com", env=capped)
    assert other.returncode == 0, other.stderr
