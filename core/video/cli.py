"""`python -m core video`: make lesson videos headless (issue-14)."""

from __future__ import annotations

import argparse
import sys

from sqlmodel import col, select

from core.db import id_of, stored_ids


def cmd_video(args: argparse.Namespace) -> int:
    from core.db import session_scope
    from core.jobs import wait_for
    from core.models import Lesson
    from core.services.video import lesson_video, start_video

    with session_scope(readonly=True) as session:
        query = select(col(Lesson.id)).where(Lesson.course_id == args.course_id).order_by(col(Lesson.id))
        all_ids = stored_ids(session.exec(query))
    lesson_ids = args.lesson or all_ids
    from core.auth import local_actor

    job = start_video(
        actor=local_actor(),  # the CLI acts as the local admin
        course_id=args.course_id,
        lesson_ids=lesson_ids,
        engine=args.engine,
        voice=args.voice,
        avatar=args.avatar,
    )
    print(f"job #{job.id}: {args.engine} video for {len(lesson_ids)} lesson(s)", file=sys.stderr)
    done = wait_for(id_of(job), timeout=args.timeout, poll=0.5)
    if done.status != "succeeded":
        print(f"error: job #{done.id} {done.status}: {done.error_code}: {done.error_detail}", file=sys.stderr)
        return 1
    for lesson_id in lesson_ids:
        video = lesson_video(lesson_id)
        if video is not None:
            print(f"lesson {lesson_id}: {video.path} ({video.duration_s:.1f} s)")
    return 0


def add_video_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cmd = sub.add_parser("video", help="make lesson videos (local narrated slides, or HeyGen)")
    cmd.add_argument("course_id", type=int)
    cmd.add_argument(
        "--lesson", type=int, action="append", help="a lesson id (repeat); default: every lesson"
    )
    cmd.add_argument("--engine", choices=["local", "heygen"], default="local")
    cmd.add_argument("--voice", default=None, help="local: an installed voice id; heygen: a voice id")
    cmd.add_argument("--avatar", default=None, help="heygen: an avatar (look) id")
    cmd.add_argument("--timeout", type=float, default=3600.0, help="seconds to wait for the job")
    cmd.set_defaults(fn=cmd_video)
