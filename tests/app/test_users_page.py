"""The local mode banner and the Users page (issue 9), through AppTest."""

from __future__ import annotations

from pathlib import Path

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
    assert any("enter a number of US dollars" in e.value for e in at.error)
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
