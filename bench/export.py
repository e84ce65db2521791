"""Export benchmark: time and peak memory per format for a 10-module x 10-lesson course.

    .venv/bin/python bench/export.py [--modules 10 --lessons 10 --slides 6 --repeat 3]

Prints figures only (targets: PPTX under 5 s, HTML ZIP under 2 s); nothing is asserted.
Time is the best of --repeat runs; peak memory is measured in a separate run under
tracemalloc (Python allocations during that export), plus the process's max RSS.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.db import dispose_engines, migrate, session_scope
from core.exporters import EXPORTERS, export_document
from core.exporters.document import build_document
from core.services.courses import load_course
from tests.factories import make_course

TARGETS = {"pptx": 5.0, "html": 2.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=10)
    parser.add_argument("--lessons", type=int, default=10)
    parser.add_argument("--slides", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", default="full", choices=["minimal", "full"])
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate(url)
        started = time.perf_counter()
        with session_scope(url) as session:
            course_id = make_course(session, modules=args.modules, lessons=args.lessons, slides=args.slides)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        with session_scope(url) as session:
            course = load_course(session, course_id)
        loaded = time.perf_counter() - started
        dispose_engines()

    slides = sum(len(lesson.slides) for lesson in course.lessons)
    print(
        f"course: {len(course.modules)} modules x {args.lessons} lessons, {slides} slides "
        f"(profile {args.profile}); seed {seeded:.2f} s, load_course {loaded * 1000:.0f} ms"
    )
    print(f"{'format':<7}{'best s':>9}{'target':>9}{'peak MiB':>10}{'size KiB':>10}")
    for fmt in EXPORTERS:
        times = []
        for _ in range(args.repeat):
            gc.collect()
            started = time.perf_counter()
            doc = build_document(course, args.profile)  # part of the export: timed
            data = export_document(doc, fmt)
            times.append(time.perf_counter() - started)
        gc.collect()
        tracemalloc.start()
        export_document(build_document(course, args.profile), fmt)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        target = f"< {TARGETS[fmt]:.0f} s" if fmt in TARGETS else ""
        print(f"{fmt:<7}{min(times):>9.2f}{target:>9}{peak / 2**20:>10.1f}{len(data) / 1024:>10.0f}")
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"process max RSS: {rss_kib / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
