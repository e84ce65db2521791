"""issue-14: each lesson's newest ready video, attached to the export document.

Videos are named by the lesson's place in the course (videos/lesson-MM-NN.mp4), the same
scheme as the HTML pages, so a package never shows a server path or a database id.
"""

from __future__ import annotations

from sqlmodel import Session

from core.exporters.document import CourseExport, ExportVideo


def attach_videos(session: Session, doc: CourseExport) -> None:
    from core.services.video import captions_path, latest_video, video_path

    for m, module in enumerate(doc.course.modules, 1):
        for n, lesson in enumerate(module.lessons, 1):
            if lesson.id is None:
                continue
            video = latest_video(session, lesson_id=lesson.id)
            if video is None or not video_path(video).exists():
                continue
            captions = captions_path(video)
            has_captions = captions is not None and captions.exists()
            stem = f"videos/lesson-{m:02d}-{n:02d}"
            exported = ExportVideo(
                href=f"{stem}.mp4",
                captions_href=f"{stem}.vtt" if has_captions else None,
                engine="heygen" if video.engine == "heygen" else "local",
                duration_s=round(video.duration_s, 3),
            )
            exported._source = video_path(video)
            exported._captions_source = captions if has_captions else None
            lesson.video = exported
