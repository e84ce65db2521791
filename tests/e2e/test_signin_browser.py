"""Sign-in in a real browser (issue 9): a local OIDC provider (oidc-provider-mock) on
loopback, `[auth]` in a temporary secrets.toml for a streamlit server this test starts,
two people with different roles, the pages each sees, and an author refused a label
move in the UI and in core."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser import launch

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-output" / "e2e-signin"
TIMEOUT_MS = 60_000
AUTHOR = "ann@example.com"
ADMIN = "ada@example.com"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def oidc(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """oidc-provider-mock on 127.0.0.1 (any client id; the person types their `sub`,
    which becomes the `email` claim)."""
    import oidc_provider_mock
    import werkzeug.serving

    # The mock refuses plain http unless Authlib is told it is a test.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    server = werkzeug.serving.make_server("127.0.0.1", 0, oidc_provider_mock.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.fixture
def app_url(oidc: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`streamlit run app.py` with [auth] pointing at the mock; yields (url, database url)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    secrets_file = tmp_path / "secrets.toml"
    secrets_file.write_text(
        "[auth]\n"
        f'redirect_uri = "{url}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "course-studio"\n'
        f'client_secret = "{secrets.token_hex(16)}"\n'
        f'server_metadata_url = "{oidc}/.well-known/openid-configuration"\n',
        "utf-8",
    )
    database_url = f"sqlite:///{tmp_path / 'signin.db'}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LLM_PROVIDER": "offline",
        "APP_ENV": "test",
        "AUTH_ALLOWLIST": "example.com",  # the whole domain may sign in, as authors
        "AUTH_BOOTSTRAP_ADMINS": ADMIN,
    }
    env.pop("REDIS_URL", None)
    SHOTS.mkdir(parents=True, exist_ok=True)
    log_path = SHOTS / "server.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--secrets.files",
            str(secrets_file),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.2)  # polling interval for the health check, bounded by the deadline
        yield url, database_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)
        log.close()


def test_two_roles_sign_in_see_their_pages_and_an_author_cannot_move_a_label(
    app_url: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright import sync_api

    url, database_url = app_url
    expect = sync_api.expect
    expect.set_options(timeout=TIMEOUT_MS)

    with sync_api.sync_playwright() as pw:
        browser = launch(pw)

        def sign_in(email: str, shot_prefix: str):  # type: ignore[no-untyped-def]
            context = browser.new_context(viewport={"width": 1440, "height": 1000})
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(url)
            expect(page.get_by_role("heading", name="Course Studio: sign in")).to_be_visible()
            button = page.get_by_role("button", name="Sign in")
            expect(button).to_be_visible()
            expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)  # no page list before sign-in
            shot(page, f"{shot_prefix}-1-sign-in")
            button.click()
            # The provider's own form: type who you are, authorize.
            page.wait_for_url("**/oauth2/authorize**")
            page.locator("input[name=sub]").fill(email)
            shot(page, f"{shot_prefix}-2-provider")
            page.get_by_role("button", name="Authorize").click()
            sidebar = page.get_by_test_id("stSidebar")
            expect(sidebar.get_by_text(f"Signed in as {email}")).to_be_visible()
            return context, page

        def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
            page.wait_for_timeout(300)  # let the last delta paint; not used for synchronisation
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

        def nav_items(page) -> set[str]:  # type: ignore[no-untyped-def]
            nav = page.get_by_test_id("stSidebarNav")
            expect(nav).to_be_visible()
            return {t.strip() for t in nav.locator("a span").all_inner_texts() if t.strip()}

        try:
            # ---- an author
            context, page = sign_in(AUTHOR, "01-author")
            expect(page.get_by_test_id("stSidebar").get_by_text("(author)")).to_be_visible()
            expect(page.get_by_role("heading", name="Courses")).to_be_visible()
            items = nav_items(page)
            assert {"Courses", "Parameters", "Lessons", "Jobs", "Prompt playground"} <= items, items
            assert not items & {"Costs", "Evaluations", "Users"}, items
            shot(page, "01-author-3-courses")

            page.get_by_test_id("stSidebarNav").get_by_text("Prompt playground", exact=True).click()
            expect(page.get_by_role("heading", name="Prompt playground")).to_be_visible()
            move = page.get_by_role("button", name="Move label")
            expect(move).to_be_disabled()
            expect(page.get_by_text("Only prompt engineers and admins move labels")).to_be_visible()
            expect(page.get_by_role("button", name="Save version")).to_be_disabled()
            move.scroll_into_view_if_needed()
            shot(page, "01-author-4-playground-refused")

            # A page the role may not see, asked for by URL, is not served.
            page.goto(f"{url}/users")
            expect(page.get_by_role("heading", name="Users")).to_have_count(0)
            expect(page.get_by_text("ada@example.com")).to_have_count(0)
            shot(page, "01-author-5-users-by-url")
            context.close()

            # ---- core refuses the same move for the same person, whatever the UI does
            monkeypatch.setenv("DATABASE_URL", database_url)
            from core.auth import Actor, Role
            from core.db import dispose_engines, session_scope
            from core.errors import AppError, Code
            from core.services import prompt_lab, users
            from core.settings import reset_settings

            reset_settings()
            dispose_engines()
            with session_scope() as session:
                assert users.get_user(session, AUTHOR).role == "author"  # recorded at sign-in
                before = prompt_lab.current_labels(session, "outline")
            with session_scope() as session, pytest.raises(AppError) as info:
                prompt_lab.move_label(
                    session,
                    actor=Actor(AUTHOR, Role.author),
                    prompt_id="outline",
                    label="production",
                    version="1.0.0",
                )
            assert info.value.code == Code.AUTH_FORBIDDEN
            with session_scope() as session:
                assert prompt_lab.current_labels(session, "outline") == before
                assert prompt_lab.label_history(session, "outline") == []
            dispose_engines()

            # ---- an admin (bootstrap) sees everything, including Users
            context, page = sign_in(ADMIN, "02-admin")
            expect(page.get_by_test_id("stSidebar").get_by_text("(admin)")).to_be_visible()
            items = nav_items(page)
            assert {"Courses", "Jobs", "Costs", "Prompt playground", "Evaluations", "Users"} <= items, items
            page.get_by_test_id("stSidebarNav").get_by_text("Users", exact=True).click()
            expect(page.get_by_role("heading", name="Users")).to_be_visible()
            table = page.get_by_test_id("stDataFrame").first
            expect(table).to_be_visible()
            shot(page, "02-admin-3-users")
            page.get_by_test_id("stSidebarNav").get_by_text("Prompt playground", exact=True).click()
            expect(page.get_by_role("heading", name="Prompt playground")).to_be_visible()
            move = page.get_by_role("button", name="Move label")
            expect(move).to_be_enabled()
            expect(page.get_by_text("Only prompt engineers and admins move labels")).to_have_count(0)
            move.click()  # the move is recorded under the signed-in address, not a typed name
            history = page.get_by_test_id("stDataFrame").last
            expect(history).to_be_visible()
            history.scroll_into_view_if_needed()
            shot(page, "02-admin-4-playground-moved")
            with session_scope() as session:
                (event,) = prompt_lab.label_history(session, "lesson")
                assert (event.label, event.moved_by) == ("production", ADMIN)
            context.close()
        finally:
            browser.close()
    log = (SHOTS / "server.log").read_text(errors="replace")
    assert "Traceback" not in log, log[log.index("Traceback") - 200 :][:6000]
