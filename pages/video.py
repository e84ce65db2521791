"""Video: per lesson a script (edited with history), an engine, an estimate, then a job."""

from __future__ import annotations

import streamlit as st

from core.db import id_of
from core.errors import AppError
from core.models import NodeType
from core.services.video import KIND_VIDEO, estimate, lesson_video, script_for_lesson, start_video
from core.settings import get_settings
from core.video.script import parse_script
from ui import editor, state, widgets
from ui.history import history_panel
from ui.i18n import label as label_of
from ui.i18n import t
from ui.jobs import is_running, job_progress, latest
from ui.layout import header, md_escape, require_course, show_error
from ui.lessons import pick_lesson
from ui.validation import problem_text
from ui.video import cached_heygen_lists, cached_heygen_quota, cached_local_voices


def problems(exc: AppError) -> str:
    """The error with every field it names (a script error says which line)."""
    details = exc.details if isinstance(exc.details, list) else []
    # issue-12: each problem in the interface language with its line; core's English
    # message only when it lists nothing.
    listed = "; ".join(problem_text(d) for d in details if isinstance(d, dict))
    return listed or exc.message


def script_markdown(text: str) -> str:
    """Preview: one block per scene, the narration as a quote; all text escaped."""
    try:
        blocks = parse_script(text)
    except AppError as exc:
        return f"⚠ {md_escape(problems(exc))}"
    return "\n\n---\n\n".join(
        f"#### {i}. {md_escape(b.title)}\n\n> 🗣 {md_escape(b.text)}" for i, b in enumerate(blocks, 1)
    )


def clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


header(":material/movie:", "nav_video")
if get_settings().heygen_mode == "mock":
    st.info(t("video_mock_banner"), icon=":material/theater_comedy:")
course = require_course()
ready = [lsn for lsn in course.lessons if lsn.slides]
if not ready:
    st.info(t("video_need_slides"))
    state.link("pages/slides.py", label=t("nav_slides"), icon=":material/slideshow:")
    st.stop()

job = latest(course.id, (KIND_VIDEO,))
if job is not None and (is_running(job) or job.error_code):
    job_progress(id_of(job), key="video-job")

lesson = pick_lesson(
    course,
    key=f"video-{course.id}-pick",
    status=lambda lsn: t("vstatus_ready") if lesson_video(lsn.id) else t("vstatus_none"),
)
if not lesson.slides:
    st.info(t("video_need_slides"))
    st.stop()

# issue-12: the value is kept, not the translated label, so a language switch keeps the engine
engine = widgets.choice(
    st.radio,
    t("video_engine"),
    ["local", "heygen"],
    format_func=lambda e: label_of("video_engine", e),
    horizontal=True,
    key=f"video-{course.id}-engine",
)
voice: str | None = None
avatar: str | None = None
if engine == "local":
    voices = cached_local_voices(course.language)
    if not voices:
        st.warning(t("video_no_voices"))
    else:
        voice = st.selectbox(
            t("video_voice"),
            [v["id"] for v in voices],
            format_func=lambda v: next(f"{x['name']} ({x['id']})" for x in voices if x["id"] == v),
            key=f"video-{course.id}-lvoice",
        )
else:
    try:
        avatars, hvoices = cached_heygen_lists()
    except AppError as exc:
        st.error(t("video_lists_failed", err=md_escape(exc.message)))
        avatars, hvoices = [], []
    names = {a["id"]: a["name"] for a in avatars}
    vnames = {v["id"]: f"{v['name']} ({v['language']})" for v in hvoices}
    cols = st.columns(2)
    avatar = cols[0].selectbox(
        t("video_avatar"), list(names), format_func=names.get, key=f"video-{course.id}-avatar"
    )
    voice = cols[1].selectbox(
        t("video_voice"), list(vnames), format_func=vnames.get, key=f"video-{course.id}-hvoice"
    )

script_id, _text = script_for_lesson(lesson.id)
key = f"video_script-{script_id}"
st.subheader(t("video_script"))
st.caption(t("video_script_hint"))
edit_tab, history_tab = st.tabs(
    [":material/edit: " + t("tab_edit"), ":material/history: " + t("tab_history")]
)
with edit_tab:
    editor.text_editor(
        key=key, node_type=NodeType.video_script, node_id=script_id, preview_md=script_markdown
    )
with history_tab:
    history_panel(node_type=NodeType.video_script, node_id=script_id, key=f"{key}-history", editor_key=key)

text = editor.node_text(NodeType.video_script, script_id)[0]
try:
    est = estimate(text, engine=engine)
except AppError as exc:
    st.warning(t("video_script_invalid", err=md_escape(problems(exc))))
    est = None
if est is not None:
    cost = (
        t("video_free")
        if engine == "local"
        else t("video_cost", credits=est.credits, usd=f"{est.cost_usd:.2f}")
    )
    st.caption(t("video_estimate", duration=clock(est.seconds), scenes=est.scenes, cost=cost))
    if engine == "heygen":
        try:
            left = cached_heygen_quota()
        except AppError as exc:
            st.error(t("video_lists_failed", err=md_escape(exc.message)))
        else:
            (st.warning if left < est.credits else st.caption)(t("video_quota", left=f"{left:g}"))

existing = lesson_video(lesson.id)
cols = st.columns([1, 1, 2])
busy = is_running(job) or est is None or voice is None
label = t("video_regenerate") if existing else t("video_make_lesson")
for col_, ids, text_, scope in (
    (cols[0], [lesson.id], label, f"lesson-{lesson.id}"),
    (cols[1], [lsn.id for lsn in ready], t("video_make_course", n=len(ready)), "course"),
):
    if col_.button(text_, disabled=busy, key=f"video-make-{scope}", type="primary"):
        try:
            start_video(
                actor=state.actor(),
                course_id=course.id,
                lesson_ids=ids,
                engine=engine,
                voice=voice,
                avatar=avatar,
            )
        except AppError as exc:
            show_error(exc)
        else:
            st.rerun()

if existing is None:
    st.info(t("video_none"))
else:
    st.caption(
        t(
            "video_made",
            engine=existing.engine,
            seconds=round(existing.duration_s),
            when=existing.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    )
    st.video(str(existing.path), subtitles=str(existing.captions) if existing.captions else None)
    dl = st.columns(2)
    dl[0].download_button(
        t("video_download"),
        existing.path.read_bytes(),
        file_name=f"lesson-{lesson.id}.mp4",
        mime="video/mp4",
        key=f"video-dl-{existing.video_id}",
    )
    if existing.captions is not None and existing.captions.exists():
        dl[1].download_button(
            t("video_download_vtt"),
            existing.captions.read_bytes(),
            file_name=f"lesson-{lesson.id}.vtt",
            mime="text/vtt",
            key=f"video-vtt-{existing.video_id}",
        )
