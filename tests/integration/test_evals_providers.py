"""`python -m evals run` end to end: on the offline provider, on the real OpenAI SDK path
against the fake server, and failing (exit 1, dropped scores named) on a broken prompt."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from core.db import session_scope
from core.models import EvalRun, LLMCall
from core.prompts import PROMPTS_DIR, parse_prompt, prompt_to_yaml
from core.settings import reset_settings
from evals.__main__ import EXIT_DROPPED, EXIT_OK, main
from tests.fakes.openai_server import FakeOpenAIServer

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "evals" / "baseline.json"


@pytest.fixture
def broken_prompts(tmp_path: Path) -> Path:
    """A prompts folder with outline 1.9.0: a "simplified" template that dropped the hard
    rules (module and lesson counts, the time budget) and the variables that fed them."""
    root = tmp_path / "prompts"
    shutil.copytree(PROMPTS_DIR, root)
    data = yaml.safe_load((root / "outline" / "1.0.0.yaml").read_text(encoding="utf-8"))
    data.update(
        version="1.9.0",
        changelog="Simplified the template.",
        variables=["topic", "audience", "level", "language", "tone"],
        template="Plan a course.\n\nTopic: {{ topic }}\nAudience: {{ audience }}\n"
        "Level: {{ level }}\nTone: {{ tone }}\n",
    )
    (root / "outline" / "1.9.0.yaml").write_text(prompt_to_yaml(parse_prompt(data)), encoding="utf-8")
    return root


@pytest.fixture
def fake_openai(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as server:
        monkeypatch.setenv("LLM_PROVIDER", "openai")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-fake-server")
        monkeypatch.setenv("HTTP_RETRIES", "0")
        reset_settings()
        yield server


def run(out: Path, *extra: str) -> int:
    return main(["run", "--prompt", "outline", "--golden", str(ROOT / "evals" / "golden"), "--repeats", "2",
                 "--baseline", str(BASELINE), "--out-dir", str(out), "--threshold", "0.05", *extra])  # fmt: skip


def scores(out: Path) -> dict:
    return json.loads((out / "report.json").read_text(encoding="utf-8"))["scores"]


def test_offline_run_matches_the_committed_baseline(db: str, tmp_path: Path) -> None:
    out = tmp_path / "offline"
    assert run(out, "--label", "production") == EXIT_OK
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["provider"] == "offline" and report["comparison"]["dropped"] == []
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    for name in ("schema_validity", "field_completeness", "constraint_adherence", "split_stability"):
        assert report["scores"][name] == baseline["scores"][name], name
    assert report["scores"]["runs"] == 2 * len(list((ROOT / "evals" / "golden").glob("*.yaml")))
    assert "No score dropped past 0.05." in (out / "report.md").read_text(encoding="utf-8")
    with session_scope() as session:
        row = session.exec(select(EvalRun)).one()
        assert (row.prompt_id, row.target, row.provider) == ("outline", "label:production@1.1.0", "offline")
        assert row.scores["schema_validity"] == 1.0


def test_fake_openai_server_run_goes_through_the_sdk_and_holds_the_scores(
    db: str, tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    out = tmp_path / "fake"
    assert run(out, "--version", "1.1.0") == EXIT_OK  # production: user text in <user_data> blocks
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["provider"] == "openai"
    assert len(fake_openai.calls) == report["scores"]["runs"]
    assert report["scores"]["schema_validity"] == 1.0
    assert report["scores"]["cost_usd_per_run"] > 0  # the fake reports usage; pricing applies
    assert any("cost is not compared" in n for n in report["comparison"]["notes"])
    with session_scope() as session:
        calls = session.exec(select(LLMCall).where(LLMCall.step == "eval")).all()
        assert len(calls) == report["scores"]["runs"]
        assert {c.provider for c in calls} == {"openai"}


def test_malformed_answers_from_the_server_lower_validity(
    db: str, tmp_path: Path, fake_openai: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fakes.openai_server import malformed

    # One run at a time, so the first run gets both broken answers: its first and its
    # remediation.
    monkeypatch.setenv("GENERATION_CONCURRENCY", "1")
    reset_settings()
    fake_openai.enqueue(malformed(), malformed())
    out = tmp_path / "malformed"
    assert main(["run", "--version", "1.0.0", "--repeats", "1", "--out-dir", str(out)]) == EXIT_OK
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    cases = len(report["per_case"])
    assert report["scores"]["schema_validity"] == round((cases - 1) / cases, 4)
    first = report["per_case"][0]["runs"][0]
    assert first["valid"] is False and first["error_code"] == "E.LLM.INVALID_OUTPUT"


@pytest.mark.parametrize("provider", ["offline", "fake_openai"])
def test_a_broken_prompt_version_exits_1_naming_the_dropped_scores(
    db: str,
    tmp_path: Path,
    broken_prompts: Path,
    provider: str,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if provider == "fake_openai":
        request.getfixturevalue("fake_openai")
    out = tmp_path / provider
    code = run(out, "--version", "1.9.0", "--prompts-root", str(broken_prompts))
    err = capsys.readouterr().err
    assert code == EXIT_DROPPED
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    dropped = report["comparison"]["dropped"]
    assert "constraint_adherence" in dropped
    assert f"scores dropped past 0.05: {', '.join(dropped)}" in err
    assert "DROPPED constraint_adherence" in err
    assert "**Dropped past 0.05:** constraint_adherence" in (out / "report.md").read_text(encoding="utf-8")
    assert report["version"] == "1.9.0"


def test_the_module_entry_point_runs_as_a_command(db: str, tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": db, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "evals", "run", "--prompt", "outline", "--label", "production", "--repeats", "1",
         "--baseline", str(BASELINE), "--out-dir", str(tmp_path / "cli")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == EXIT_OK, proc.stderr
    assert "outline 1.1.0 on offline" in proc.stdout
    assert (tmp_path / "cli" / "report.md").exists()


def test_the_nightly_cron_entry_starts_an_evaluation_job(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    from rq import cron

    import evals.cron
    from core.jobs import wait_for

    cron._job_data_registry.clear()
    importlib.reload(evals.cron)  # registration happens at import, as `rq cron evals.cron` does
    (entry,) = [e for e in cron._job_data_registry if e["name"] == "nightly-eval"]
    assert entry["func"] is evals.cron.nightly_eval and entry["cron"] == "0 3 * * *"
    cron._job_data_registry.clear()

    monkeypatch.setenv("EVAL_OUT_DIR", str(tmp_path / "nightly"))
    job = wait_for(evals.cron.nightly_eval(), timeout=60)
    assert job.kind == "eval" and job.status == "succeeded", job.error_detail
    assert (tmp_path / "nightly" / f"job-{job.id}" / "report.json").exists()
    with session_scope() as session:
        assert session.exec(select(EvalRun)).one().target == "label:production@1.1.0"


def test_the_nightly_run_uses_its_own_baseline_or_says_there_is_none(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 13: a baseline per provider and model; a model without one is reported, not passed."""
    from core.jobs import wait_for
    from core.settings import reset_settings
    from evals.cron import nightly_eval

    monkeypatch.setenv("EVAL_OUT_DIR", str(tmp_path / "nightly"))
    job = wait_for(nightly_eval(), timeout=120)
    assert job.status == "succeeded" and job.result["baseline"] == "compared with offline-gpt-4.1-mini.json"
    assert job.result["dropped"] == []

    monkeypatch.setenv("MODEL_OUTLINE", "gpt-4.1")  # no committed baseline for this model
    reset_settings()
    job = wait_for(nightly_eval(), timeout=120)
    assert job.status == "succeeded"
    assert job.result["baseline"].startswith("no baseline for provider 'offline' and model 'gpt-4.1'")
    assert any("no baseline" in str(step.get("detail", "")) for step in job.steps), job.steps
