"""Server-side script time of each page for a 10-module x 10-lesson course (AppTest).

Prints figures; never asserts. Target: under 300 ms per page run.
Run: .venv/bin/python bench/pages.py
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PAGES = (
    "courses",
    "parameters",
    "structure",
    "lessons",
    "slides",
    "export",
    "jobs",
    "costs",
    "playground",
    "evaluations",
)
RUNS = 5


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="bench-pages-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
    os.environ.setdefault("LLM_PROVIDER", "offline")

    from streamlit.testing.v1 import AppTest

    from core.db import migrate, session_scope

    migrate()
    try:
        from tests.factories import make_course
    except ImportError:  # the factory arrives with another issue; nothing else builds 10x10 fast
        sys.exit("tests/factories.py (make_course) is needed to build the 10x10 course")
    with session_scope() as session:
        course_id = make_course(session, modules=10, lessons=10, slides=6, language="en")

    print(f"10 modules x 10 lessons x 6 slides; {RUNS} runs per page after a warm-up")
    print(f"{'page':<12}{'median ms':>10}{'max ms':>10}")
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.session_state["ui.course_id"] = course_id
        at.session_state["ui.plain_editor"] = False
        at.run()
        at.switch_page(f"pages/{page}.py").run()  # warm-up: imports, caches
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            at.run()
            times.append((time.perf_counter() - start) * 1000)
        failed = " (exception!)" if at.exception else ""
        print(f"{page:<12}{statistics.median(times):>10.0f}{max(times):>10.0f}{failed}")


if __name__ == "__main__":
    main()
