"""issue-14: a local narrated video of a 3-slide Russian lesson, checked with ffprobe."""

from __future__ import annotations

import wave

import pytest
from sqlmodel import select

from core.db import session_scope
from core.jobs import wait_for
from core.models import Job, Lesson, Revision, Video
from core.services.revisions import history, save_edit
from core.services.video import ensure_script, start_video, video_path
from core.video.tools import probe
from tests.actors import ADMIN, person
from tests.factories import make_course


def _lesson(language: str = "ru", slides: int = 3) -> tuple[int, int]:
    with session_scope() as session:
        course_id = make_course(session, modules=1, lessons=1, slides=slides, language=language)
        lesson = session.exec(select(Lesson).where(Lesson.course_id == course_id)).one()
        return course_id, int(lesson.id or 0)


def test_russian_lesson_video_matches_its_narration(db) -> None:
    course_id, lesson_id = _lesson()
    job = start_video(actor=ADMIN, course_id=course_id, lesson_ids=[lesson_id], engine="local")
    done = wait_for(int(job.id or 0), timeout=180)
    assert done.status == "succeeded", done.error_detail

    with session_scope() as session:
        video = session.exec(select(Video).where(Video.lesson_id == lesson_id)).one()
    path = video_path(video)
    info = probe(path)
    streams = {s["codec_type"]: s["codec_name"] for s in info["streams"]}
    assert streams["video"] == "h264" and streams["audio"] == "aac"
    assert streams["subtitle"] == "mov_text"  # captions inside the MP4
    assert len(info["chapters"]) == 3  # one per slide
    assert info["chapters"][0]["tags"]["title"].startswith("Слайд 1")

    # The narration: the audio track alone, decoded back to WAV and measured.
    audio = path.with_suffix(".check.wav")
    from core.video.tools import run, tool

    run([tool("ffmpeg"), "-v", "error", "-y", "-i", str(path), "-map", "0:a", str(audio)])
    with wave.open(str(audio)) as w:
        narration_s = w.getnframes() / w.getframerate()
    duration = float(info["format"]["duration"])
    assert abs(duration - narration_s) <= 0.1 * narration_s
    assert abs(duration - video.duration_s) <= 0.1 * video.duration_s

    # The estimate shown before the run is in the right range (pace measured for espeak-ng).
    from core.services.video import estimate, script_for_lesson

    guess = estimate(script_for_lesson(lesson_id)[1], engine="local").seconds
    assert abs(guess - duration) <= 0.35 * duration, (guess, duration)

    vtt = (path.parent / (path.stem + ".vtt")).read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT")
    assert "-->" in vtt and "Разберите пример" in vtt


def test_script_is_a_node_with_revisions(db) -> None:
    _course_id, lesson_id = _lesson(language="en", slides=2)
    with session_scope() as session:
        script = ensure_script(session, lesson_id=lesson_id)
        assert script.text.startswith("## Slide 1")
        assert "Speak to the example" in script.text  # drafted from the speaker notes
        script_id, version = int(script.id or 0), script.version
    with session_scope() as session:
        result = save_edit(
            session,
            node_type="video_script",
            node_id=script_id,
            content={"text": "## Intro\nHello there."},
            expected_version=version,
            actor=person("ann"),
        )
        assert result.saved
    with session_scope() as session:
        revs = history(session, node_type="video_script", node_id=script_id)
        assert [r.source for r in revs] == ["edited", "generated"]
        # Text before the first title is refused and kept as a draft, not applied.
        bad = save_edit(
            session,
            node_type="video_script",
            node_id=script_id,
            content={"text": "no title here"},
            expected_version=result.version,
            actor=person("ann"),
        )
        assert not bad.saved and bad.problems
        assert session.get(Revision, bad.revision_id).status == "draft"


def test_deleting_a_lesson_removes_its_video_rows(any_db) -> None:
    from core.models import VideoScript
    from core.services.courses import delete_lesson

    course_id, lesson_id = _lesson(language="en", slides=2)
    with session_scope() as session:
        ensure_script(session, lesson_id=lesson_id)
        session.add(Video(course_id=course_id, lesson_id=lesson_id, engine="local", file="videos/x.mp4"))
    with session_scope() as session:
        delete_lesson(session, lesson_id=lesson_id, actor=ADMIN)
    with session_scope() as session:
        assert session.exec(select(VideoScript)).all() == []
        assert session.exec(select(Video)).all() == []


def test_voices_per_language_and_a_clear_refusal() -> None:
    from core.errors import AppError
    from core.video.local import pick_voice, voices_for

    en = [v["id"] for v in voices_for("en")]
    assert en[0] == "festival:cmu_us_slt_arctic_hts" and "en-us" in en  # the better engine first
    assert pick_voice("en", None) == en[0]
    assert pick_voice("ru", None) == "ru"  # espeak-ng: festvox-ru is not offered
    with pytest.raises(AppError) as err:
        pick_voice("ru", "en-us")
    assert "not installed for 'ru'" in err.value.message


def test_english_festival_voice_and_its_fallback(tmp_path) -> None:
    from core.video.local import speak

    said = "On this slide we check the inputs before we transform them."
    seconds = speak(said, tmp_path / "a.wav", voice="festival:cmu_us_slt_arctic_hts", fallback="en-us")
    assert seconds > len(said) / 25
    # Text Festival cannot speak (Cyrillic with an English voice) falls back to espeak-ng.
    text = "Разберите пример и спросите группу, где они это видели."
    assert (
        speak(text, tmp_path / "b.wav", voice="festival:cmu_us_slt_arctic_hts", fallback="ru")
        > len(text) / 25
    )


def test_cli_makes_a_lesson_video(db, capsys) -> None:
    from core.__main__ import main

    course_id, lesson_id = _lesson(language="en", slides=1)
    assert main(["video", str(course_id), "--lesson", str(lesson_id), "--voice", "en-us"]) == 0
    out = capsys.readouterr().out
    assert f"lesson {lesson_id}: " in out and ".mp4" in out
    with session_scope() as session:
        jobs_before = len(session.exec(select(Job)).all())
    assert main(["video", str(course_id), "--engine", "local", "--voice", "xx-none"]) == 1
    assert "the voice 'xx-none' is not installed for 'en'" in capsys.readouterr().err
    with session_scope() as session:
        assert len(session.exec(select(Job)).all()) == jobs_before  # refused before any job


def test_frames_and_speech_drop_what_the_font_cannot_show() -> None:
    from core.video.local import _printable

    assert _printable("эмодзи ✅ Ёжик 🦔 → «ёлочки»") == "эмодзи  Ёжик  → «ёлочки»"
