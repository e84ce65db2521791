"""issue-14: a worker SIGKILLed while a HeyGen render is pending resumes polling and never
submits the same scene twice (real processes, PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlmodel import select

from core.db import dispose_engines, migrate, session_scope
from core.jobs import recover_orphans, resubmit_queued, wait_for
from core.models import HeygenRender, Job, Lesson
from core.services.video import ensure_script
from core.settings import ROOT, reset_settings
from core.video.script import parse_script, split_scenes
from tests.factories import make_course
from tests.fakes.heygen_server import FakeHeygen

CHILD = """
import sys, time
from core.services.video import start_video
from core.auth import local_actor
job = start_video(actor=local_actor(), course_id=int(sys.argv[1]), lesson_ids=[int(sys.argv[2])], engine="heygen",
                  avatar="Daisy", voice="v1")
print(job.id, flush=True)
time.sleep(120)
"""


def _wait(cond, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def test_sigkill_while_pending_resumes_without_resubmitting(pg_url, monkeypatch) -> None:
    fake = FakeHeygen(api_key="k", render_delay_s=4.0).start()
    env = {
        "DATABASE_URL": pg_url,
        "HEYGEN_MODE": "live",
        "HEYGEN_API_KEY": "k",
        "HEYGEN_BASE_URL": fake.url,
        "HEYGEN_POLL_MIN_S": "0.3",
        "HEYGEN_POLL_MAX_S": "0.5",
        "HEYGEN_SCENE_MAX_CHARS": "120",  # several scenes, each created exactly once
        "JOB_STALE_AFTER_S": "1",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    dispose_engines()
    migrate(pg_url)
    try:
        with session_scope() as session:
            course_id = make_course(session, modules=1, lessons=1, slides=3)
            lesson_id = int(session.exec(select(Lesson).where(Lesson.course_id == course_id)).one().id or 0)
            script = ensure_script(session, lesson_id=lesson_id).text
        expected = len(split_scenes(parse_script(script), 120))

        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(course_id), str(lesson_id)],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            job_id = int(child.stdout.readline())  # type: ignore[union-attr]

            def submitted() -> list[HeygenRender]:
                with session_scope() as session:
                    rows = list(session.exec(select(HeygenRender).where(HeygenRender.job_id == job_id)))
                return rows if len(rows) == expected and all(r.video_id for r in rows) else []

            rows = _wait(submitted, 30, "every scene to be submitted")
            assert all(r.status == "pending" for r in rows)
            child.send_signal(signal.SIGKILL)
            child.wait(10)
        finally:
            if child.poll() is None:
                child.kill()

        scenes = len(rows)
        assert scenes >= 2 and len(fake.creates) == scenes
        # The dead process's timer is gone: the job is queued (deferred) or running
        # (killed mid-poll, heartbeat going stale). Recovery hands it to this process.
        _wait(lambda: resubmit_queued("inprocess") or recover_orphans(), 15, "the job to be recovered")
        job = wait_for(job_id, timeout=60)
        assert job.status == "succeeded", job.error_detail
        assert len(fake.creates) == scenes  # nothing was submitted twice
        assert set(fake.create_counts.values()) == {1}
        with session_scope() as session:
            assert session.get(Job, job_id).status == "succeeded"
    finally:
        fake.stop()
