"""issue-14: HTML and SCORM embed each lesson's video with captions; JSON references it."""

from __future__ import annotations

import html
import io
import json
import zipfile

from sqlmodel import select

from core.db import session_scope
from core.exporters import export_course
from core.exporters.json_export import parse_import
from core.models import Lesson, Video
from core.settings import get_settings
from tests.factories import make_course
from tests.fakes.heygen_server import fixture_mp4


def _course_with_video() -> tuple[int, bytes]:
    mp4 = fixture_mp4()
    with session_scope() as session:
        course_id = make_course(session, modules=1, lessons=2, slides=2)
        lesson = session.exec(select(Lesson).where(Lesson.course_id == course_id).order_by(Lesson.id)).first()
        folder = get_settings().FILES_DIR / "videos" / "t"
        folder.mkdir(parents=True)
        (folder / "v.mp4").write_bytes(mp4)
        (folder / "v.vtt").write_text(
            "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\nПривет\n", encoding="utf-8"
        )
        session.add(
            Video(course_id=course_id, lesson_id=lesson.id, engine="local", file="videos/t/v.mp4",
                  captions_file="videos/t/v.vtt", duration_s=2.0)
        )  # fmt: skip
    return course_id, mp4


def _zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def test_html_site_embeds_video_and_captions(db) -> None:
    course_id, mp4 = _course_with_video()
    with session_scope() as session:
        data, _name, _mime = export_course(session, course_id, "html")
    site = _zip(data)
    page = site.read("lesson-01-01.html").decode()
    assert '<video controls preload="metadata" src="videos/lesson-01-01.mp4">' in page
    assert '<track kind="captions" src="videos/lesson-01-01.vtt"' in page
    assert "media-src 'self'" in html.unescape(page)  # the page's CSP lets its own media play
    assert site.read("videos/lesson-01-01.mp4") == mp4
    assert site.read("videos/lesson-01-01.vtt").startswith(b"WEBVTT")
    assert "<video" not in site.read("lesson-01-02.html").decode()  # no video, no player
    assert str(get_settings().FILES_DIR) not in page


def test_scorm_package_lists_the_video(db) -> None:
    course_id, _mp4 = _course_with_video()
    with session_scope() as session:
        data, _name, _mime = export_course(session, course_id, "scorm")
    package = _zip(data)
    manifest = package.read("imsmanifest.xml").decode()
    assert 'href="course/videos/lesson-01-01.mp4"' in manifest
    assert 'href="course/videos/lesson-01-01.vtt"' in manifest
    assert "<track" in package.read("course/lesson-01-01.html").decode()


def test_json_references_the_video_and_imports_back(db) -> None:
    course_id, _mp4 = _course_with_video()
    with session_scope() as session:
        data, _name, _mime = export_course(session, course_id, "json")
    doc = json.loads(data)
    video = doc["course"]["modules"][0]["lessons"][0]["video"]
    assert video == {
        "href": "videos/lesson-01-01.mp4",
        "captions_href": "videos/lesson-01-01.vtt",
        "engine": "local",
        "duration_s": 2.0,
    }
    assert doc["course"]["modules"][0]["lessons"][1].get("video") is None
    assert parse_import(data).course.lessons[0].video.href == video["href"]
