"""issue 18: pages read the course tree from a cache that a write anywhere invalidates
(ui/data.py over core/cache_versions.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import ui.data
from core.db import session_scope
from core.services import courses as course_svc
from tests.actors import ADMIN
from tests.factories import make_course

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = ui.data.load_course

    def counting(session, course_id):  # type: ignore[no-untyped-def]
        calls.append(course_id)
        return real(session, course_id)

    monkeypatch.setattr(ui.data, "load_course", counting)
    ui.data._course_doc.clear()
    return calls


def test_the_tree_is_read_once_until_a_write(db: str, loads: list[int]) -> None:
    with session_scope() as session:
        course_id = make_course(session, modules=2, lessons=2)
    first = ui.data.course_doc(course_id)
    again = ui.data.course_doc(course_id)
    assert loads == [course_id]
    assert again == first and again is not first  # each caller gets its own copy

    with session_scope() as session:
        course_svc.add_module(session, actor=ADMIN, course_id=course_id, title="Added later")
    fresh = ui.data.course_doc(course_id)
    assert loads == [course_id, course_id]
    assert [m.title for m in fresh.modules][-1] == "Added later"


def test_a_write_from_another_process_is_seen_at_once(db: str, loads: list[int]) -> None:
    with session_scope() as session:
        course_id = make_course(session, modules=1, lessons=1)
    assert len(ui.data.course_doc(course_id).modules) == 1
    script = (
        "from core.db import session_scope\n"
        "from core.services import courses\n"
        "from tests.actors import ADMIN\n"
        "with session_scope() as s:\n"
        f"    courses.add_module(s, actor=ADMIN, course_id={course_id}, title='From a worker')\n"
    )
    subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env={**os.environ, "DATABASE_URL": db}, check=True
    )
    assert [m.title for m in ui.data.course_doc(course_id).modules][-1] == "From a worker"
