"""What the page cache saves per page run (issue 18): reading a 10x10x6 course tree from
the database vs. the cached read (one counter query and a copy out of st.cache_data).

Prints medians; never asserts.  Run: .venv/bin/python bench/page_cache.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _median_ms(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-cache-")
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{tmp}/bench.db"
    os.environ["LOG_LEVEL"] = "WARNING"

    import ui.data
    from core.auth import local_actor
    from core.db import migrate, session_scope
    from core.services.courses import add_module, load_course
    from tests.factories import make_course

    migrate()
    with session_scope() as session:
        course_id = make_course(session, modules=10, lessons=10, slides=6)

    def uncached() -> None:
        with session_scope(readonly=True) as session:
            load_course(session, course_id)

    ui.data.course_doc(course_id)  # warm
    uncached_ms = _median_ms(uncached, args.runs)
    cached_ms = _median_ms(lambda: ui.data.course_doc(course_id), args.runs)

    def after_write() -> None:
        with session_scope() as session:
            add_module(session, actor=local_actor(), course_id=course_id, title="Bench module")
        ui.data.course_doc(course_id)

    write_ms = _median_ms(after_write, max(3, args.runs // 5))
    print(
        f"course tree       10 modules x 10 lessons x 6 slides ({os.environ['DATABASE_URL'].split(':')[0]})"
    )
    print(f"load_course       {uncached_ms:7.1f} ms  (what every page run paid before)")
    print(f"cached read       {cached_ms:7.1f} ms  (counter query + copy from st.cache_data)")
    print(f"write + re-read   {write_ms:7.1f} ms  (a write bumps the counter; the next read reloads)")
    print(f"load average      {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
