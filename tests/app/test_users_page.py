"""The local mode banner and the Users page (issue 9), through AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from core.auth import Role, local_actor
from core.db import session_scope
from core.services import users
from tests.actors import ADMIN, person
from tests.app.conftest import APP, open_page, texts
from ui import state

USERS_PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "users.py")


def test_local_mode_is_bannered_and_acts_as_the_local_admin(db: str) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()  # app.py: sidebar, navigation, home page
    assert not at.exception, at.exception
    shown = texts(at)
    assert "Local mode: no sign-in is configured" in shown
    assert "Signed in as local (admin)" in shown
    assert not any(ti.label == "Your name" for ti in at.text_input)  # no typed names any more
    assert at.session_state[state.ACTOR] == local_actor()


def test_an_admin_adds_a_person_and_sets_their_caps(db: str) -> None:
    at = open_page("users")
    assert not at.exception, at.exception
    at.text_input(key="users-add-email").set_value("Bob@Example.com")
    at.selectbox(key="users-add-role").set_value("analyst")
    next(b for b in at.button if b.label == "Add").click().run()
    assert not at.exception, at.exception
    with session_scope() as session:
        bob = users.get_user(session, "bob@example.com")
    assert bob is not None and bob.role == "analyst"

    at.selectbox(key="users-pick").set_value("bob@example.com").run()
    at.text_input(key=f"ue-day-{bob.id}").set_value("abc")
    next(b for b in at.button if b.label == "Save").click().run()
    assert at.error and any("enter a number of US dollars" in m.value for m in [*at.error, *at.caption])
    at.text_input(key=f"ue-day-{bob.id}").set_value("2.5")
    at.selectbox(key=f"ue-role-{bob.id}").set_value("reviewer")
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception, at.exception
    with session_scope() as session:
        bob = users.get_user(session, "bob@example.com")
    assert (bob.role, bob.daily_cap_usd, bob.monthly_cap_usd) == ("reviewer", 2.5, None)
    assert "Spending today and this month (UTC)" in texts(at)


def test_the_users_page_refuses_anyone_but_an_admin(db: str) -> None:
    with session_scope() as session:
        users.add_user(session, actor=ADMIN, email="secret@example.com", role="author")
    at = AppTest.from_file(USERS_PAGE, default_timeout=30)
    at.session_state[state.ACTOR] = person("ann@example.com", Role.analyst)
    at.run()
    assert not at.exception, at.exception
    assert any("Access refused" in e.value for e in at.error)
    assert "secret@example.com" not in texts(at)
    assert not at.dataframe


def test_a_generation_over_a_spending_cap_is_refused_on_the_page_with_the_figures(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from core.jobs import create_job
    from core.models import Job, JobStatus, LLMCall
    from core.schemas import CourseParams
    from core.services.courses import create_course
    from core.settings import reset_settings

    with session_scope() as session:
        cid = int(create_course(session, actor=ADMIN, params=CourseParams(topic="Capped course")).id or 0)
        job = create_job(session, kind="lessons", started_by="someone@example.com")
        job.status = JobStatus.succeeded  # a finished job: no runner picks it up
        session.add(
            LLMCall(job_id=job.id, step="lesson", provider="openai", model="m", prompt_id="lesson",
                    prompt_version="1", prompt_checksum="x", cost_usd=3.0, outcome="ok",
                    created_at=datetime.now(UTC))
        )  # fmt: skip
    monkeypatch.setenv("SPEND_CAP_TEAM_DAILY_USD", "3")
    reset_settings()
    at = open_page("structure", course_id=cid)
    at.button(key="structure-propose").click().run()
    assert not at.exception, at.exception
    assert at.error
    # markdown-escaped on the page; issue-12 shows the detail that names the cap under the error
    errors = [e.value.replace("\\", "") for e in [*at.error, *at.caption]]
    assert any("the team's daily spending cap is $3.00; spent $3.00" in e for e in errors), errors
    with session_scope() as session:
        assert session.exec(select(Job).where(Job.course_id == cid)).first() is None


def test_production_without_sign_in_serves_nobody(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.settings import reset_settings

    monkeypatch.setenv("APP_ENV", "prod")
    reset_settings()
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception, at.exception
    assert any("Sign-in is not configured" in e.value for e in at.error)
    assert state.ACTOR not in at.session_state
    assert not at.button  # no page drew anything
