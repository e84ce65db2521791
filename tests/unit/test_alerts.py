"""ops/alerts.yml: valid rules (promtool check rules), firing and quiet cases (promtool
test rules ops/alerts.test.yml), and only metric names the studio really exports."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from core.settings import ROOT

OPS = ROOT / "ops"


def _promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is required (Debian package prometheus; scripts/system-deps.sh installs it)")
    return path


def test_rules_are_valid() -> None:
    proc = subprocess.run(
        [_promtool(), "check", "rules", str(OPS / "alerts.yml")], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS: 5 rules found" in proc.stdout


def test_rules_fire_and_stay_quiet_as_the_unit_tests_say() -> None:
    proc = subprocess.run(
        [_promtool(), "test", "rules", str(OPS / "alerts.test.yml")], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cases = yaml.safe_load((OPS / "alerts.test.yml").read_text())["tests"]
    checked = {t["alertname"] for case in cases for t in case["alert_rule_test"]}
    fired = {t["alertname"] for case in cases for t in case["alert_rule_test"] if t["exp_alerts"]}
    quiet = {t["alertname"] for case in cases for t in case["alert_rule_test"] if not t["exp_alerts"]}
    rules = {
        r["alert"] for g in yaml.safe_load((OPS / "alerts.yml").read_text())["groups"] for r in g["rules"]
    }
    assert rules == checked == fired == quiet  # every alert has a firing and a quiet case


def test_a_wrong_expectation_fails(tmp_path: Path) -> None:
    """The harness can fail: a storm expected to stay quiet makes promtool exit non-zero."""
    cases = yaml.safe_load((OPS / "alerts.test.yml").read_text())
    for case in cases["tests"]:
        for t in case["alert_rule_test"]:
            t["exp_alerts"] = [] if t["exp_alerts"] else [{"exp_labels": {"severity": "page"}}]
    cases["rule_files"] = [str(OPS / "alerts.yml")]
    (tmp_path / "wrong.yml").write_text(yaml.safe_dump(cases))
    proc = subprocess.run(
        [_promtool(), "test", "rules", str(tmp_path / "wrong.yml")], capture_output=True, text=True
    )
    assert proc.returncode != 0
    assert "FAILED" in proc.stdout + proc.stderr


def test_rules_use_metrics_the_studio_exports() -> None:
    from prometheus_client import REGISTRY, generate_latest

    from core import metrics

    metrics.job_finished("course", "succeeded", 1.0, 0.01)
    metrics.model_call("m", "lesson", "ok", 0.2, 10, 20, 0, 0.001)
    metrics.http_retry("h", "429")
    exported = set(re.findall(r"^(course_studio_\w+?)(?:\{| )", generate_latest(REGISTRY).decode(), re.M))
    # Queue gauges come from the scrape-time collector (core.metrics.QueueCollector).
    exported |= {
        "course_studio_queue_depth",
        "course_studio_jobs_queued",
        "course_studio_oldest_queued_job_age_seconds",
    }
    rules = [r for g in yaml.safe_load((OPS / "alerts.yml").read_text())["groups"] for r in g["rules"]]
    used = {name for r in rules for name in re.findall(r"course_studio_\w+", r["expr"])}
    assert used and used <= exported, used - exported
