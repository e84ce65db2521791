"""issue-14: on the real Redis, a HeyGen job is deferred between polls (RQ's scheduler
re-runs it) and finishes without using up its attempts."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlmodel import select

from core.db import session_scope
from core.jobs import wait_for
from core.models import Job, Lesson
from core.services.video import ensure_script, start_video
from core.settings import ROOT, reset_settings
from tests.actors import ADMIN
from tests.factories import make_course
from tests.fakes.heygen_server import FakeHeygen

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
pytestmark = pytest.mark.redis


def test_render_is_polled_through_rq_scheduler(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    try:
        Redis.from_url(REDIS_URL).ping()
    except RedisConnectionError as exc:
        pytest.fail(f"Redis is required for this test and is not reachable at {REDIS_URL}: {exc}")
    fake = FakeHeygen(api_key="k", render_delay_s=2.0).start()
    queue = f"cs-test-{uuid.uuid4().hex[:8]}"
    env = {
        "REDIS_URL": REDIS_URL,
        "RQ_QUEUE": queue,
        "HEYGEN_MODE": "live",
        "HEYGEN_API_KEY": "k",
        "HEYGEN_BASE_URL": fake.url,
        "HEYGEN_POLL_MIN_S": "0.5",
        "HEYGEN_POLL_MAX_S": "1",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    from core.db import migrate

    migrate()
    with session_scope() as session:
        course_id = make_course(session, modules=1, lessons=1, slides=2)
        lesson_id = int(session.exec(select(Lesson).where(Lesson.course_id == course_id)).one().id or 0)
        ensure_script(session, lesson_id=lesson_id)
        # RQ job ids ("course-studio-job-<id>") are global in Redis, and this Redis is
        # shared: a stale entry for a small id left by another test database would make
        # submit() skip the enqueue. A random id base keeps this test's job its own.
        session.add(Job(id=random.randint(10**8, 10**9), kind="video", status="canceled"))
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "workers"],
        cwd=ROOT,
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        job = start_video(
            actor=ADMIN,
            course_id=course_id,
            lesson_ids=[lesson_id],
            engine="heygen",
            avatar="Daisy",
            voice="v",
        )
        try:
            done = wait_for(int(job.id or 0), timeout=90)
        except TimeoutError:
            pytest.fail("the job did not finish; worker log:\n" + log.read_text()[-4000:])
        assert done.status == "succeeded", (done.error_detail, log.read_text()[-3000:])
        assert done.attempts == 1  # every deferral gave its attempt back
        assert len(fake.creates) == 1
        assert "Traceback" not in log.read_text()
    finally:
        worker.terminate()
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(15)
        fake.stop()
        redis = Redis.from_url(REDIS_URL)
        for key in redis.scan_iter(f"rq:*{queue}*"):
            redis.delete(key)
