"""Sources benchmark (issue 17): ingest time and memory for a 300-page PDF and for 50
files of mixed formats; BM25 index build and retrieval time per lesson.

    .venv/bin/python bench/sources.py [--pages 300 --files 50 --lessons 100]

Prints figures only; nothing is asserted. Ingest = sniff + convert + chunk + store in a
fresh SQLite database, in one transaction per file (what an upload does). Peak memory is
the Python allocations during that step (tracemalloc); the process max RSS is printed too.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.db import dispose_engines, migrate, session_scope
from core.schemas import CourseParams
from core.services import sources as source_svc
from core.services.courses import create_course
from core.services.grounding import retrieve
from core.sources.chunking import Chunk
from core.sources.retrieval import Index
from tests import source_files as sf
from tests.actors import ADMIN


def _measure(fn):  # type: ignore[no-untyped-def]
    tracemalloc.start()
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak / 2**20


def _files(count: int) -> list[tuple[str, bytes]]:
    makers = [
        ("pdf", lambda i: sf.pdf(pages=5, extra=f"Edition {i}.")),
        ("docx", lambda i: sf.docx(extra=f"Edition {i}.")),
        ("pptx", lambda i: sf.pptx([(f"{h} {i}", b) for h, b in sf.SECTIONS_EN])),
        ("md", lambda i: sf.markdown(title=f"Handbook {i}")),
        (
            "html",
            lambda i: f"<html><body><h1>Wiki {i}</h1><p>{sf.SECTIONS_EN[0][1]}</p></body></html>".encode(),
        ),
    ]
    return [(f"file-{i}.{makers[i % 5][0]}", makers[i % 5][1](i)) for i in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--files", type=int, default=50)
    parser.add_argument("--lessons", type=int, default=100)
    args = parser.parse_args()
    params = CourseParams(topic="Handbook", module_count=1, lessons_per_module=1, total_duration_minutes=30)

    big = sf.pdf(pages=args.pages)
    files = _files(args.files)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        migrate(url)
        with session_scope(url) as session:
            one = int(create_course(session, actor=ADMIN, params=params).id or 0)
            many = int(create_course(session, actor=ADMIN, params=params).id or 0)

        def ingest_big() -> int:
            with session_scope(url) as session:
                source = source_svc.add_source(
                    session, actor=ADMIN, course_id=one, filename="big.pdf", data=big
                )
                return source.page_count

        pages, elapsed, peak = _measure(ingest_big)
        print(
            f"{args.pages}-page PDF ({len(big) / 2**20:.1f} MiB): ingest {elapsed:.2f} s, peak {peak:.1f} MiB, {pages} pages"
        )

        def ingest_many() -> int:
            for name, data in files:
                with session_scope(url) as session:
                    source_svc.add_source(session, actor=ADMIN, course_id=many, filename=name, data=data)
            return len(files)

        count, elapsed, peak = _measure(ingest_many)
        size = sum(len(d) for _, d in files) / 2**20
        print(
            f"{count} mixed files ({size:.1f} MiB): ingest {elapsed:.2f} s ({elapsed / count * 1000:.0f} ms/file), peak {peak:.1f} MiB"
        )

        for course_id, label in ((one, "300-page PDF"), (many, f"{args.files} files")):
            with session_scope(url, readonly=True) as session:
                chunks = [
                    Chunk(c.key, c.position, c.heading, c.page, c.text)
                    for c in source_svc.course_chunks(session, course_id)
                ]
            started = time.perf_counter()
            index = Index.build(chunks)
            built = time.perf_counter() - started
            queries = [
                {"lesson_title": h, "objectives": [f"Explain {h}", b[:60]], "module_title": "Handbook"}
                for h, b in sf.SECTIONS_EN
            ]
            started = time.perf_counter()
            for i in range(args.lessons):
                retrieve(index, queries[i % len(queries)], 4)
            per = (time.perf_counter() - started) / args.lessons
            print(
                f"retrieval over {label}: {len(chunks)} chunks, index {built * 1000:.0f} ms, {per * 1000:.2f} ms per lesson"
            )
        dispose_engines()
    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
