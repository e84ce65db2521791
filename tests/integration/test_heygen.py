"""issue-14: the HeyGen client and video jobs against the fake HeyGen over real HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlmodel import select

from core.db import session_scope
from core.errors import AppError, Code
from core.jobs import wait_for
from core.models import HeygenRender, Lesson, LLMCall, Video
from core.services.video import ensure_script, start_video, video_path
from core.settings import reset_settings
from core.video.heygen import HeygenClient
from core.video.script import ScriptBlock, split_scenes
from core.video.tools import probe
from tests.actors import ADMIN
from tests.factories import make_course
from tests.fakes.heygen_server import FakeHeygen, sign
from workers.webhooks import serve

SECRET = "whsec_test_secret"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHeygen]:
    server = FakeHeygen(api_key="k-live", render_delay_s=0.6, webhook_secret=SECRET).start()
    monkeypatch.setenv("HEYGEN_MODE", "live")
    monkeypatch.setenv("HEYGEN_API_KEY", "k-live")
    monkeypatch.setenv("HEYGEN_BASE_URL", server.url)
    monkeypatch.setenv("HEYGEN_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("HEYGEN_POLL_MIN_S", "0.2")
    monkeypatch.setenv("HEYGEN_POLL_MAX_S", "0.5")
    monkeypatch.setenv("HTTP_BACKOFF_BASE_S", "0.01")
    monkeypatch.setenv("HTTP_BACKOFF_MAX_S", "2")
    reset_settings()
    yield server
    server.stop()


def _lesson(slides: int = 2) -> tuple[int, int]:
    with session_scope() as session:
        course_id = make_course(session, modules=1, lessons=1, slides=slides)
        lesson_id = int(session.exec(select(Lesson).where(Lesson.course_id == course_id)).one().id or 0)
        ensure_script(session, lesson_id=lesson_id)
    return course_id, lesson_id


def _run(course_id: int, lesson_id: int):  # type: ignore[no-untyped-def]
    job = start_video(
        actor=ADMIN, course_id=course_id, lesson_ids=[lesson_id], engine="heygen", avatar="Daisy", voice="v1"
    )
    return wait_for(int(job.id or 0), timeout=60)


def _client(fake: FakeHeygen, key: str = "k-live") -> HeygenClient:
    return HeygenClient(fake.url, key)


# ------------------------------------------------------------------ client errors


def test_wrong_key_is_auth(fake: FakeHeygen) -> None:
    with pytest.raises(AppError) as err:
        _client(fake, "wrong").avatars()
    assert err.value.code == Code.HEYGEN_AUTH and "HEYGEN_API_KEY" in err.value.message


def test_insufficient_credit_is_quota(fake: FakeHeygen) -> None:
    fake.credits = 0.5
    with pytest.raises(AppError) as err:
        _client(fake).create_video(avatar_id="Daisy", voice_id="v", script="Hello there", title="t")
    assert err.value.code == Code.HEYGEN_QUOTA
    assert "requires" in err.value.message and "add credits" in err.value.message


def test_long_retry_after_is_rate_limit_with_the_wait(fake: FakeHeygen) -> None:
    fake.inject(429, "rate_limit_exceeded", "Too many requests", {"Retry-After": "120"})
    with pytest.raises(AppError) as err:
        _client(fake).create_video(avatar_id="Daisy", voice_id="v", script="Hello", title="t")
    assert err.value.code == Code.HEYGEN_RATE_LIMIT
    assert err.value.details == {"retry_after_s": 120.0} and "120s" in err.value.message
    assert fake.creates == []


def test_short_retry_after_is_retried_by_the_shared_client(fake: FakeHeygen) -> None:
    fake.inject(429, "rate_limit_exceeded", "Too many requests", {"Retry-After": "0.2"})
    video_id = _client(fake).create_video(avatar_id="Daisy", voice_id="v", script="Hello", title="t")
    assert video_id.startswith("mock_") and len(fake.creates) == 1


def test_slow_answer_is_timeout(fake: FakeHeygen, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_TIMEOUT_S", "0.3")
    monkeypatch.setenv("HTTP_RETRIES", "0")
    reset_settings()
    fake.answer_delay_s = 1.5
    with pytest.raises(AppError) as err:
        _client(fake).video("mock_1_1")
    assert err.value.code == Code.HEYGEN_TIMEOUT and "retried" in err.value.message


def test_blocked_words(fake: FakeHeygen) -> None:
    with pytest.raises(AppError) as err:
        _client(fake).create_video(avatar_id="Daisy", voice_id="v", script="a forbiddenword here", title="t")
    assert err.value.code == Code.HEYGEN_BLOCKED_WORDS and "edit the video script" in err.value.message


def test_fake_refuses_what_heygen_refuses(fake: FakeHeygen) -> None:
    url = f"{fake.url}/v3/videos"
    headers = {"X-Api-Key": "k-live"}
    too_long = httpx.post(
        url, headers=headers, json={"type": "avatar", "avatar_id": "a", "script": "x" * 5001}
    )
    assert too_long.status_code == 400 and too_long.json()["error"]["param"] == "script"
    both = httpx.post(
        url,
        headers=headers,
        json={"type": "avatar", "avatar_id": "a", "script": "hi", "audio_url": "https://x"},
    )
    assert both.status_code == 400
    with pytest.raises(AppError) as err:
        HeygenClient(fake.url, "k-live").video("unknown")
    assert err.value.code == Code.HEYGEN_BAD_REQUEST


def test_lists_and_quota(fake: FakeHeygen) -> None:
    client = _client(fake)
    assert {a["id"] for a in client.avatars()} >= {"Daisy-inskirt-20220818"}
    assert any(v["language"] == "Russian" for v in client.voices())
    assert client.remaining_quota() == 1000.0


def test_scripts_longer_than_the_limit_are_split() -> None:
    blocks = [ScriptBlock("a", "One sentence. " * 300), ScriptBlock("b", "Short.")]
    scenes = split_scenes(blocks, 1000)
    assert all(len(s) <= 1000 for s in scenes) and len(scenes) >= 5
    assert " ".join(scenes).split() == " ".join(b.text for b in blocks).split()


# ------------------------------------------------------------------ jobs


def test_render_job_downloads_and_records_cost(db, fake: FakeHeygen) -> None:
    course_id, lesson_id = _lesson()
    job = _run(course_id, lesson_id)
    assert job.status == "succeeded", job.error_detail
    assert len(fake.creates) == 1 and fake.creates[0]["type"] == "avatar"
    assert list(job.result["videos"]) == [str(lesson_id)]  # made by a later run than the submit
    with session_scope() as session:
        video = session.exec(select(Video).where(Video.lesson_id == lesson_id)).one()
        calls = session.exec(select(LLMCall).where(LLMCall.provider == "heygen")).all()
    assert video.engine == "heygen"
    assert probe(video_path(video))["format"]["format_name"].startswith("mov,mp4")
    assert len(calls) == 1 and calls[0].cost_usd == pytest.approx(2.0 * 0.05)
    from core.services.analytics import CostFilter, grouped

    with session_scope() as session:
        by_step = {
            row.keys[0]: row.metrics
            for row in grouped(session, CostFilter(course_ids=(course_id,)), ("step",))
        }
    assert by_step["video"].cost_usd == pytest.approx(0.1)  # on the Costs page next to LLM calls
    with session_scope() as session:
        render = session.exec(select(HeygenRender)).one()
    assert render.credits > 0 and render.duration_s == 2.0


def test_failed_render(db, fake: FakeHeygen) -> None:
    fake.outcome = "failed"
    job = _run(*_lesson())
    assert job.status == "failed" and job.error_code == Code.HEYGEN_RENDER_FAILED
    assert "Avatar rendering timed out" in (job.error_detail or "")


def test_lost_render_times_out(db, fake: FakeHeygen, monkeypatch: pytest.MonkeyPatch) -> None:
    fake.outcome = "stuck"
    monkeypatch.setenv("HEYGEN_RENDER_TIMEOUT_S", "1.5")
    reset_settings()
    job = _run(*_lesson())
    assert job.status == "failed" and job.error_code == Code.HEYGEN_TIMEOUT
    assert "looks lost" in (job.error_detail or "")
    assert len(fake.creates) == 1  # polled, never re-submitted


def test_quota_fails_the_job_with_its_code(db, fake: FakeHeygen) -> None:
    fake.credits = 0
    job = _run(*_lesson())
    assert job.status == "failed" and job.error_code == Code.HEYGEN_QUOTA


def test_rate_limited_submission_is_deferred_not_failed(db, fake: FakeHeygen, monkeypatch) -> None:
    monkeypatch.setenv("HTTP_RETRIES", "0")
    reset_settings()
    fake.inject(429, "rate_limit_exceeded", "Too many requests", {"Retry-After": "0.3"})
    job = _run(*_lesson())
    assert job.status == "succeeded", job.error_detail
    assert len(fake.creates) == 1


# ------------------------------------------------------------------ webhooks


@pytest.fixture
def receiver() -> Iterator[str]:
    import threading

    server = serve("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhooks/heygen"
    server.shutdown()
    server.server_close()


def _event(video_id: str, *, ts: float | None = None) -> bytes:
    body = {
        "event_type": "avatar_video.success",
        "event_data": {"video_id": video_id, "url": "https://files/x.mp4", "callback_id": "c"},
        "timestamp": int(ts if ts is not None else time.time()),
    }
    return json.dumps(body).encode()


def _pending_row(course_id: int, lesson_id: int, video_id: str) -> int:
    from core.jobs import create_job

    with session_scope() as session:
        job = create_job(session, kind="video", course_id=course_id, payload={})
        job.status = "succeeded"  # nothing to wake: the test only looks at the mark
        session.add(
            HeygenRender(
                job_id=job.id, course_id=course_id, lesson_id=lesson_id, video_id=video_id, status="pending"
            )
        )
        return int(job.id or 0)


def test_webhook_signature_valid_wrong_replayed_stale(any_db, fake: FakeHeygen, receiver: str) -> None:
    course_id, lesson_id = _lesson()
    _pending_row(course_id, lesson_id, "vid-1")
    raw = _event("vid-1")
    wrong = httpx.post(receiver, content=raw, headers={"Signature": sign(raw, "not-the-secret")})
    assert wrong.status_code == 401
    with session_scope() as session:
        assert session.exec(select(HeygenRender)).one().webhook_status is None  # nothing changed

    ok = httpx.post(receiver, content=raw, headers={"Signature": sign(raw, SECRET)})
    assert ok.status_code == 200, ok.text
    with session_scope() as session:
        assert session.exec(select(HeygenRender)).one().webhook_status == "success"

    replay = httpx.post(receiver, content=raw, headers={"Signature": sign(raw, SECRET)})
    assert replay.status_code == 409

    stale = _event("vid-1", ts=time.time() - 3600)
    old = httpx.post(receiver, content=stale, headers={"Signature": sign(stale, SECRET)})
    assert old.status_code == 401 and "stale" in old.json()["detail"]

    tampered = raw.replace(b"vid-1", b"vid-2")
    assert httpx.post(receiver, content=tampered, headers={"Signature": sign(raw, SECRET)}).status_code == 401


def test_webhook_finishes_the_job_early(db, fake: FakeHeygen, receiver: str, monkeypatch) -> None:
    # Polls far apart: only the webhook can finish the job within the wait below.
    monkeypatch.setenv("HEYGEN_POLL_MIN_S", "30")
    monkeypatch.setenv("HEYGEN_POLL_MAX_S", "30")
    monkeypatch.setenv("HEYGEN_CALLBACK_URL", receiver)
    reset_settings()
    course_id, lesson_id = _lesson()
    job = start_video(
        actor=ADMIN, course_id=course_id, lesson_ids=[lesson_id], engine="heygen", avatar="Daisy", voice="v1"
    )
    done = wait_for(int(job.id or 0), timeout=20)
    assert done.status == "succeeded", done.error_detail
    assert fake.webhooks_sent and fake.webhooks_sent[0]["event_type"] == "avatar_video.success"
    with session_scope() as session:
        assert session.exec(select(HeygenRender)).one().webhook_status == "success"


def test_mock_mode_is_the_default_without_a_key(db, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEYGEN_API_KEY", raising=False)
    monkeypatch.setenv("HEYGEN_MOCK_DELAY_S", "0.3")
    monkeypatch.setenv("HEYGEN_POLL_MIN_S", "0.2")
    reset_settings()
    from core.settings import get_settings
    from core.video.heygen import heygen_client

    assert get_settings().heygen_mode == "mock"
    client = heygen_client()
    assert client.base_url.startswith("http://127.0.0.1:")  # the fake, over real HTTP
    assert client.avatars()
    job = _run(*_lesson())
    assert job.status == "succeeded", job.error_detail


def test_retry_after_quota_submits_the_refused_scene(db, fake: FakeHeygen) -> None:
    from core.jobs import retry_job

    fake.credits = 0
    job = _run(*_lesson())
    assert job.error_code == Code.HEYGEN_QUOTA and fake.creates == []
    fake.credits = 100  # the user added credits
    retry_job(int(job.id or 0), actor=ADMIN)
    done = wait_for(int(job.id or 0), timeout=60)
    assert done.status == "succeeded", done.error_detail
    assert len(fake.creates) == 1


def test_the_same_delivery_twice_at_once_is_accepted_once(any_db, fake: FakeHeygen, receiver: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    course_id, lesson_id = _lesson()
    _pending_row(course_id, lesson_id, "vid-9")
    raw = _event("vid-9")
    headers = {"Signature": sign(raw, SECRET)}
    with ThreadPoolExecutor(4) as pool:
        codes = sorted(
            pool.map(lambda _: httpx.post(receiver, content=raw, headers=headers).status_code, range(4))
        )
    assert codes == [200, 409, 409, 409]
