"""issue-14: the Video page in a real browser: pick local, generate, the video plays (its
`duration` read from the <video> element), and the download is the MP4."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from core.db import dispose_engines, migrate, session_scope
from core.models import Lesson
from core.settings import reset_settings
from tests.browser import launch
from tests.e2e.app_server import ROOT, assert_no_server_errors, run_app
from tests.factories import make_course

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "test-output" / "e2e"
TIMEOUT_MS = 90_000


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, int]]:
    db_url = f"sqlite:///{tmp_path / 'video.db'}"
    monkeypatch.setenv("DATABASE_URL", db_url)
    reset_settings()
    migrate(db_url)
    with session_scope() as session:
        course_id = make_course(session, modules=1, lessons=1, slides=2, language="ru")
        session.exec(select(Lesson).where(Lesson.course_id == course_id)).one()
    dispose_engines()
    log_path = SHOTS / "video-server.log"
    # An empty HeyGen key counts as unset: the page runs in mock mode.
    with run_app(db_url, log_path, FILES_DIR=str(tmp_path / "files"), HEYGEN_API_KEY="") as url:
        yield url, course_id
    assert_no_server_errors(log_path)


def test_local_video_plays_and_downloads(server: tuple[str, int], tmp_path: Path) -> None:
    from playwright import sync_api

    url, course_id = server
    expect = sync_api.expect
    expect.set_options(timeout=TIMEOUT_MS)
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1440, "height": 1100}, accept_downloads=True)
        page.set_default_timeout(TIMEOUT_MS)
        try:
            page.goto(f"{url}/video?course={course_id}&lang=en")
            expect(page.get_by_role("heading", name="Video", level=1)).to_be_visible()
            expect(page.get_by_text("HeyGen is mocked").first).to_be_visible()
            page.get_by_text("Narrated slides (local, free)").click()
            expect(page.get_by_text("cost: free").first).to_be_visible()
            page.screenshot(path=str(SHOTS / "30-video-page.png"), full_page=True)

            page.get_by_role("button", name="Make this lesson's video").click()
            player = page.locator("video").first
            expect(player).to_be_attached()
            page.wait_for_function(
                "() => { const v = document.querySelector('video'); return v && v.readyState >= 1 && v.duration > 0 }",
                timeout=TIMEOUT_MS,
            )
            duration = player.evaluate("v => v.duration")
            assert 5 < duration < 120, duration  # two narrated slides
            player.evaluate("v => { v.muted = true; return v.play() }")
            page.wait_for_function("() => document.querySelector('video').currentTime > 0.2")
            page.screenshot(path=str(SHOTS / "31-video-playing.png"), full_page=True)

            with page.expect_download() as info:
                page.get_by_role("button", name="Download MP4").click()
            saved = tmp_path / "download.mp4"
            info.value.save_as(saved)
            data = saved.read_bytes()
            assert data[4:8] == b"ftyp" and len(data) > 10_000
        finally:
            page.screenshot(path=str(SHOTS / "39-video-last.png"), full_page=True)
            browser.close()
