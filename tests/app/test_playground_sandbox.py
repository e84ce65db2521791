"""The playground refuses a template-injection draft next to the editor, and neither runs
nor saves it (issue 9)."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from core.db import session_scope
from core.models import Job, PromptVersion
from tests.app.test_playground import choose_outline, editor, open_page, prompts  # noqa: F401

PAYLOAD = "{{ lipsum.__globals__['os'].popen('touch {marker}').read() }}"


def test_refused_draft_is_shown_and_neither_runs_nor_saves(prompts: Path, tmp_path: Path) -> None:  # noqa: F811
    marker = tmp_path / "pwned"
    at = choose_outline(open_page())
    original = editor(at).value
    lines = original.count("\n")
    editor(at).set_value(original + PAYLOAD.replace("{marker}", str(marker))).run()
    assert not at.exception, at.exception
    # Markdown escaping puts backslashes before _ and :; read the text as shown.
    refused = [e.value.replace("\\", "") for e in at.error if "template refused" in e.value]
    assert refused and f"line {lines + 1}" in refused[0] and "__globals__" in refused[0]

    at.button(key="pg-run").click().run()
    assert "pg-job" not in at.session_state
    # issue-12: the error says what happened in words; the code is in its details
    assert at.error and any("E.TEMPLATE.REFUSED" in c.value for c in at.caption)

    at.text_input(key="pg-new-version").set_value("7.0.0")
    at.text_area(key="pg-changelog").set_value("try to escape")
    next(b for b in at.button if b.label == "Save version").click().run()
    assert not at.exception, at.exception
    # issue-12: the error says what happened in words; the code is in its details
    assert at.error and any("E.TEMPLATE.REFUSED" in c.value for c in at.caption)
    assert not (prompts / "outline" / "7.0.0.yaml").exists()
    with session_scope() as session:
        assert session.exec(select(PromptVersion).where(PromptVersion.version == "7.0.0")).first() is None
        assert session.exec(select(Job)).first() is None
    assert not marker.exists()
