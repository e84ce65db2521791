"""Lesson videos as jobs: the script (a node with revisions), estimates, and the render.

Two engines:
- `local`: slides drawn + espeak-ng narration + ffmpeg (core/video/local.py), in the job.
- `heygen`: each lesson's script split into scenes, each scene one HeyGen video. A scene's
  row is written before the create call and its video id right after it, before any poll,
  so a resumed job polls instead of paying twice. Between polls the job is deferred
  (JobDeferred): no worker waits on HeyGen. A webhook only marks the row and wakes the job.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.auth import Actor
from core.db import get_or_404, id_of, session_scope
from core.errors import AppError, Code
from core.jobs import JobContext, JobDeferred, start_job
from core.models import (
    HeygenRender,
    Lesson,
    LLMCall,
    NodeType,
    RevisionSource,
    SlideRow,
    Video,
    VideoScript,
    utcnow,
)
from core.services.revisions import add_revision
from core.settings import get_settings
from core.video.script import estimate_seconds, parse_script, script_from_slides, split_scenes

KIND_VIDEO = "video"
ENGINES = ("local", "heygen")


def videos_dir() -> Path:
    return get_settings().FILES_DIR / "videos"


# ------------------------------------------------------------------ scripts


def get_script(session: Session, script_id: int) -> VideoScript:
    return get_or_404(session, VideoScript, script_id, "video script")


def _slides(session: Session, lesson_id: int) -> list[dict[str, Any]]:
    rows = session.exec(
        select(SlideRow).where(SlideRow.lesson_id == lesson_id).order_by(col(SlideRow.position))
    )
    return [{"title": r.title, "bullets": list(r.bullets), "notes": r.notes} for r in rows]


def ensure_script(session: Session, *, lesson_id: int) -> VideoScript:
    """The lesson's script; drafted from the slides' speaker notes the first time."""
    script = session.exec(select(VideoScript).where(VideoScript.lesson_id == lesson_id)).first()
    if script is not None:
        return script
    lesson = get_or_404(session, Lesson, lesson_id, "lesson")
    slides = _slides(session, lesson_id)
    if not slides:
        raise AppError(Code.VALIDATION, f"lesson {lesson_id} has no slides yet; make its deck first")
    script = VideoScript(course_id=lesson.course_id, lesson_id=lesson_id, text=script_from_slides(slides))
    session.add(script)
    try:
        session.flush()
    except IntegrityError:  # another session drafted it first (unique lesson_id)
        session.rollback()
        return session.exec(select(VideoScript).where(VideoScript.lesson_id == lesson_id)).one()
    rev = add_revision(
        session,
        course_id=lesson.course_id,
        node_type=NodeType.video_script,
        node_id=id_of(script),
        content={"text": script.text},
        source=RevisionSource.generated,
        note="drafted from the slides' speaker notes",
    )
    script.current_revision_id = rev.id
    session.add(script)
    return script


# ------------------------------------------------------------------ estimate


@dataclass(frozen=True)
class VideoEstimate:
    seconds: float
    scenes: int
    credits: float
    cost_usd: float


def estimate(text: str, *, engine: str) -> VideoEstimate:
    settings = get_settings()
    blocks = parse_script(text)
    seconds = estimate_seconds(blocks)
    if engine != "heygen":
        from core.video.local import CHARS_PER_SECOND, PAUSE_S

        # Local voices are paced by characters more than words (Russian words are long),
        # and every slide ends with a short pause.
        local = sum(len(b.text) for b in blocks) / CHARS_PER_SECOND + PAUSE_S * len(blocks)
        return VideoEstimate(seconds=local, scenes=len(blocks), credits=0.0, cost_usd=0.0)
    scenes = len(split_scenes(blocks, settings.HEYGEN_SCENE_MAX_CHARS))
    return VideoEstimate(
        seconds=seconds,
        scenes=scenes,
        credits=round(seconds / 60 * settings.HEYGEN_CREDITS_PER_MINUTE, 2),
        cost_usd=round(seconds * settings.HEYGEN_USD_PER_SECOND, 2),
    )


# ------------------------------------------------------------------ start


def start_video(
    *,
    actor: Actor,
    course_id: int,
    lesson_ids: list[int],
    engine: str,
    voice: str | None = None,
    avatar: str | None = None,
) -> Any:
    """One job for these lessons (one lesson, or the whole course)."""
    if engine not in ENGINES:
        raise AppError(Code.VALIDATION, f"unknown video engine {engine!r}; choose local or heygen")
    if not lesson_ids:
        raise AppError(Code.VALIDATION, "choose at least one lesson for the video")
    if engine == "heygen" and not (avatar and voice):
        raise AppError(Code.VALIDATION, "HeyGen needs an avatar and a voice; pick both first")
    with session_scope() as session:
        for lesson_id in lesson_ids:
            lesson = session.get(Lesson, lesson_id)
            if lesson is None or lesson.course_id != course_id:
                raise AppError(Code.NOT_FOUND, f"lesson {lesson_id} not found in course {course_id}")
            parse_script(ensure_script(session, lesson_id=lesson_id).text)
        if engine == "local":
            from core.models import Course
            from core.video.local import pick_voice

            course = session.get(Course, course_id)
            # A voice that is not installed is refused before any job exists.
            pick_voice(course.language if course else "en", voice)
    payload = {"lesson_ids": lesson_ids, "engine": engine, "voice": voice, "avatar": avatar}
    return start_job(kind=KIND_VIDEO, actor=actor, course_id=course_id, payload=payload)


def latest_video(session: Session, *, lesson_id: int) -> Video | None:
    return session.exec(
        select(Video)
        .where(Video.lesson_id == lesson_id, Video.status == "ready")
        .order_by(col(Video.id).desc())
        .limit(1)
    ).first()


def video_path(video: Video) -> Path:
    return get_settings().FILES_DIR / video.file


def captions_path(video: Video) -> Path | None:
    return get_settings().FILES_DIR / video.captions_file if video.captions_file else None


# ------------------------------------------------------------------ the job


def _step(lesson_id: int) -> str:
    return f"lesson-{lesson_id}"


def run_video(ctx: JobContext) -> dict[str, Any]:
    lesson_ids = [int(i) for i in ctx.payload.get("lesson_ids") or []]
    engine = str(ctx.payload.get("engine") or "local")
    with session_scope(readonly=True) as session:
        lessons = {i: session.get(Lesson, i) for i in lesson_ids}
        titles = {i: lesson.title if lesson else str(i) for i, lesson in lessons.items()}
    ctx.set_steps([(_step(i), titles[i]) for i in lesson_ids])
    finished = ctx.done_steps()
    waiting: list[float] = []
    made: dict[str, int] = {}
    for lesson_id in lesson_ids:
        if _step(lesson_id) in finished:
            continue
        ctx.check_cancel()
        ctx.step(_step(lesson_id), "running")
        try:
            render = _heygen_lesson if engine == "heygen" else _local_lesson
            video_id = render(ctx, lesson_id)
        except JobDeferred as exc:
            waiting.append(exc.delay_s)
            ctx.step(_step(lesson_id), "running", str(exc))
            continue
        except AppError as exc:
            ctx.step(_step(lesson_id), "failed", f"{exc.code}: {exc.message}")
            raise
        made[str(lesson_id)] = video_id
        ctx.step(_step(lesson_id), "done", f"video #{video_id}")
    if waiting:
        raise JobDeferred(min(waiting), "waiting for HeyGen")
    # Every lesson's video of this job, including those an earlier (deferred) run made.
    with session_scope(readonly=True) as session:
        rows = session.exec(select(Video.lesson_id, Video.id).where(Video.job_id == ctx.job_id))
        made.update({str(lesson): video for lesson, video in rows if video is not None})
    return {"videos": made}


def _script_for(lesson_id: int) -> tuple[Lesson, VideoScript, str]:
    with session_scope() as session:
        script = ensure_script(session, lesson_id=lesson_id)
        lesson = session.get(Lesson, lesson_id)
        assert lesson is not None
        from core.models import Course

        course = session.get(Course, lesson.course_id)
        language = course.language if course else "en"
        session.expunge(script)
        session.expunge(lesson)
    return lesson, script, language


def _save_video(ctx: JobContext, lesson: Lesson, script: VideoScript, **values: Any) -> int:
    with session_scope() as session:
        video = Video(
            course_id=lesson.course_id,
            lesson_id=id_of(lesson),
            job_id=ctx.job_id,
            script_version=script.version,
            **values,
        )
        session.add(video)
        session.flush()
        return id_of(video)


def _local_lesson(ctx: JobContext, lesson_id: int) -> int:
    from core.video.local import Scene, render_local

    lesson, script, language = _script_for(lesson_id)
    blocks = parse_script(script.text)
    with session_scope(readonly=True) as session:
        slides = _slides(session, lesson_id)
    scenes = []
    for i, block in enumerate(blocks):
        bullets = slides[i]["bullets"] if i < len(slides) and slides[i]["title"] == block.title else []
        scenes.append(Scene(title=block.title, bullets=bullets, narration=block.text))
    rel = Path("videos") / f"course-{lesson.course_id}" / f"lesson-{lesson_id}"
    stem = f"job-{ctx.job_id}-local"

    def progress(done: int, total: int) -> None:
        ctx.step(_step(lesson_id), "running", f"scene {done}/{total}")
        ctx.check_cancel()

    result = render_local(
        scenes,
        get_settings().FILES_DIR / rel,
        language=language,
        voice=ctx.payload.get("voice") or None,
        stem=stem,
        on_scene=progress,
    )
    return _save_video(
        ctx,
        lesson,
        script,
        engine="local",
        file=str(rel / result.video.name),
        captions_file=str(rel / result.captions.name),
        duration_s=result.duration_s,
        voice=ctx.payload.get("voice"),
    )


# ------------------------------------------------------------------ HeyGen


def _poll_delay(elapsed_s: float) -> float:
    """Backoff by age: early polls are quick, a long render is checked less often."""
    settings = get_settings()
    return min(settings.HEYGEN_POLL_MAX_S, max(settings.HEYGEN_POLL_MIN_S, elapsed_s / 4))


def _claim_scene(ctx: JobContext, lesson: Lesson, scene: int) -> HeygenRender | None:
    """Insert the scene's row; None if it already exists (an earlier attempt made it).

    A row whose submission HeyGen refused (no video id: quota, blocked words, auth) is
    replaced, so retrying the job after fixing the cause submits that scene again.
    """
    with session_scope() as session:
        refused = session.exec(
            select(HeygenRender).where(
                HeygenRender.job_id == ctx.job_id,
                HeygenRender.lesson_id == lesson.id,
                HeygenRender.scene == scene,
                HeygenRender.status == "failed",
                col(HeygenRender.video_id).is_(None),
            )
        ).first()
        if refused is not None:
            session.delete(refused)
    try:
        with session_scope() as session:
            row = HeygenRender(
                job_id=ctx.job_id, course_id=lesson.course_id, lesson_id=id_of(lesson), scene=scene
            )
            session.add(row)
            session.flush()
            session.expunge(row)
            return row
    except IntegrityError:
        return None


def _update_render(render_id: int, **values: Any) -> None:
    with session_scope() as session:
        row = session.get(HeygenRender, render_id)
        assert row is not None
        for key, value in values.items():
            setattr(row, key, value)
        session.add(row)


def _heygen_lesson(ctx: JobContext, lesson_id: int) -> int:
    from core.video.heygen import heygen_client

    settings = get_settings()
    client = heygen_client()
    lesson, script, _language = _script_for(lesson_id)
    scenes = split_scenes(parse_script(script.text), settings.HEYGEN_SCENE_MAX_CHARS)
    avatar, voice = str(ctx.payload.get("avatar")), str(ctx.payload.get("voice"))

    # 1. Submit every scene not yet submitted; the id is stored before anything else.
    for i, text in enumerate(scenes):
        row = _claim_scene(ctx, lesson, i)
        if row is None:
            continue
        try:
            video_id = client.create_video(
                avatar_id=avatar,
                voice_id=voice,
                script=text,
                title=f"{lesson.title} ({i + 1}/{len(scenes)})",
                callback_url=settings.HEYGEN_CALLBACK_URL,
                callback_id=f"job-{ctx.job_id}-lesson-{lesson_id}-scene-{i}",
            )
        except AppError as exc:
            if exc.code == Code.HEYGEN_RATE_LIMIT:
                # Nothing was created: forget the row so the next run submits it.
                with session_scope() as session:
                    stale = session.get(HeygenRender, row.id)
                    if stale is not None:
                        session.delete(stale)
                wait = (exc.details or {}).get("retry_after_s") or settings.HEYGEN_POLL_MIN_S
                raise JobDeferred(float(wait), exc.message) from exc
            _update_render(id_of(row), status="failed", error_code=exc.code, error_detail=exc.message)
            raise
        _update_render(id_of(row), video_id=video_id, status="pending", submitted_at=utcnow())

    # 2. Poll what is pending (a webhook may already have marked it).
    with session_scope(readonly=True) as session:
        rows = list(
            session.exec(
                select(HeygenRender)
                .where(HeygenRender.job_id == ctx.job_id, HeygenRender.lesson_id == lesson_id)
                .order_by(col(HeygenRender.scene))
            )
        )
        for r in rows:
            session.expunge(r)
    delays: list[float] = []
    for row in rows:
        if row.status == "completed":
            continue
        if row.status == "failed":
            raise AppError(row.error_code or Code.HEYGEN_RENDER_FAILED, row.error_detail or "render failed")
        if not row.video_id:
            # Crashed between the create call and storing its id: HeyGen may have the
            # video, so it is not submitted again blindly.
            raise AppError(
                Code.HEYGEN_RENDER_FAILED,
                f"scene {row.scene + 1} was being submitted when the worker died; check the HeyGen "
                "dashboard for it, then regenerate (a new job submits again)",
            )
        status = client.video(row.video_id)
        if status.status == "completed" and status.video_url:
            dest = videos_dir() / "heygen" / f"{row.video_id}.mp4"
            client.download(status.video_url, dest)
            seconds = status.duration_s
            credits = round(seconds / 60 * settings.HEYGEN_CREDITS_PER_MINUTE, 4)
            cost = round(seconds * settings.HEYGEN_USD_PER_SECOND, 4)
            _update_render(
                id_of(row),
                status="completed",
                file=str(dest.relative_to(settings.FILES_DIR)),
                duration_s=seconds,
                credits=credits,
                cost_usd=cost,
                finished_at=utcnow(),
            )
            _cost_row(ctx, lesson, avatar=avatar, seconds=seconds, cost=cost, ok=True)
            continue
        if status.status == "failed":
            detail = f"HeyGen could not render scene {row.scene + 1}: {status.failure_message or status.failure_code}"
            _update_render(
                id_of(row), status="failed", error_code=Code.HEYGEN_RENDER_FAILED, error_detail=detail
            )
            raise AppError(
                Code.HEYGEN_RENDER_FAILED,
                detail + "; edit the script or pick another avatar, then regenerate",
            )
        submitted = row.submitted_at or utcnow()
        elapsed = (utcnow() - submitted).total_seconds()
        if elapsed > settings.HEYGEN_RENDER_TIMEOUT_S:
            detail = (
                f"HeyGen has not finished scene {row.scene + 1} (video {row.video_id}) after "
                f"{timedelta(seconds=round(elapsed))}; it looks lost. Regenerate to submit it again"
            )
            _update_render(id_of(row), status="failed", error_code=Code.HEYGEN_TIMEOUT, error_detail=detail)
            raise AppError(Code.HEYGEN_TIMEOUT, detail)
        # A webhook said it is done while the status call lags: look again soon.
        delays.append(settings.HEYGEN_POLL_MIN_S if row.webhook_status else _poll_delay(elapsed))
    if delays:
        raise JobDeferred(min(delays), f"HeyGen is rendering {len(delays)} scene(s)")

    # 3. Every scene is in: one lesson video, captions from the script.
    return _assemble_heygen(
        ctx, lesson, script, rows=_rows(ctx.job_id, lesson_id), avatar=avatar, voice=voice
    )


def _rows(job_id: int, lesson_id: int) -> list[HeygenRender]:
    with session_scope(readonly=True) as session:
        rows = list(
            session.exec(
                select(HeygenRender)
                .where(HeygenRender.job_id == job_id, HeygenRender.lesson_id == lesson_id)
                .order_by(col(HeygenRender.scene))
            )
        )
        for r in rows:
            session.expunge(r)
    return rows


def _cost_row(ctx: JobContext, lesson: Lesson, *, avatar: str, seconds: float, cost: float, ok: bool) -> None:
    # HeyGen renders sit in llm_calls next to model calls, so the Costs page and budgets
    # see them; provider "heygen", step "video", prompt "heygen@v3".
    with session_scope() as session:
        session.add(
            LLMCall(
                job_id=ctx.job_id,
                course_id=lesson.course_id,
                step="video",
                node_type=NodeType.lesson,
                node_id=lesson.id,
                provider="heygen",
                model=avatar[:100],
                prompt_id="heygen",
                prompt_version="v3",
                prompt_checksum="-",
                output_tokens=0,
                cost_usd=cost,
                latency_ms=seconds * 1000,
                outcome="ok" if ok else "error",
            )
        )
    ctx.charge(cost)


def _assemble_heygen(
    ctx: JobContext, lesson: Lesson, script: VideoScript, *, rows: list[HeygenRender], avatar: str, voice: str
) -> int:
    from core.video.local import caption_cues, webvtt
    from core.video.tools import run, tool

    settings = get_settings()
    rel = Path("videos") / f"course-{lesson.course_id}" / f"lesson-{lesson.id}"
    out_dir = settings.FILES_DIR / rel
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"job-{ctx.job_id}-heygen"
    files = [settings.FILES_DIR / str(r.file) for r in rows]
    target = out_dir / f"{stem}.mp4"
    if len(files) == 1:
        shutil.copyfile(files[0], target)
    else:
        with tempfile.TemporaryDirectory(dir=out_dir) as tmp:
            listing = Path(tmp) / "list.txt"
            listing.write_text("".join(f"file '{f.as_posix()}'\n" for f in files), encoding="utf-8")
            run([tool("ffmpeg"), "-y", "-v", "error", "-f", "concat", "-safe", "0", "-i", str(listing),
                 "-c", "copy", str(Path(tmp) / "joined.mp4")])  # fmt: skip
            shutil.move(str(Path(tmp) / "joined.mp4"), target)
    scenes = split_scenes(parse_script(script.text), settings.HEYGEN_SCENE_MAX_CHARS)
    spans, t = [], 0.0
    for r in rows:
        spans.append((t, t + r.duration_s))
        t += r.duration_s
    (out_dir / f"{stem}.vtt").write_text(webvtt(caption_cues(scenes, spans)), encoding="utf-8")
    return _save_video(
        ctx,
        lesson,
        script,
        engine="heygen",
        file=str(rel / f"{stem}.mp4"),
        captions_file=str(rel / f"{stem}.vtt"),
        duration_s=t,
        voice=voice,
        avatar=avatar,
    )


# ------------------------------------------------------------------ webhooks


def mark_from_webhook(session: Session, *, video_id: str, succeeded: bool) -> int | None:
    """A verified webhook marks the scene's row and returns its job id (to wake it)."""
    row = session.exec(select(HeygenRender).where(HeygenRender.video_id == video_id)).first()
    if row is None:
        return None
    row.webhook_status = "success" if succeeded else "fail"
    session.add(row)
    return row.job_id


# ------------------------------------------------------------------ what the page reads


@dataclass(frozen=True)
class LessonVideo:
    video_id: int
    engine: str
    path: Path
    captions: Path | None
    duration_s: float
    created_at: Any


def script_for_lesson(lesson_id: int) -> tuple[int, str]:
    """The lesson's script id and text (drafted on first use)."""
    with session_scope() as session:
        script = ensure_script(session, lesson_id=lesson_id)
        return id_of(script), script.text


def lesson_video(lesson_id: int) -> LessonVideo | None:
    with session_scope(readonly=True) as session:
        video = latest_video(session, lesson_id=lesson_id)
        if video is None or not video_path(video).exists():
            return None
        return LessonVideo(
            video_id=id_of(video),
            engine=video.engine,
            path=video_path(video),
            captions=captions_path(video),
            duration_s=video.duration_s,
            created_at=video.created_at,
        )


def local_voices(language: str) -> list[dict[str, str]]:
    from core.video.local import voices_for

    return voices_for(language)


def heygen_lists() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(avatars, voices) from HeyGen (or the mock)."""
    from core.video.heygen import heygen_client

    client = heygen_client()
    return client.avatars(), client.voices()


def heygen_quota() -> float:
    """Credits left on the HeyGen account (or the mock's)."""
    from core.video.heygen import heygen_client

    return heygen_client().remaining_quota()
