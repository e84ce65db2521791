"""Cost analytics at scale: a year of llm_calls (1,000,000 rows by default) on SQLite and
PostgreSQL, the time of every grouped view, and of the Costs page script (AppTest).

    .venv/bin/python bench/costs.py [--rows 1000000] [--db sqlite,postgres] [--repeat 3]
    .venv/bin/python bench/costs.py --url sqlite:////tmp/costs.db   # a database seeded before

Targets: any grouped view under 1 s, the page script under 1.5 s. Prints figures only.
PostgreSQL uses a throwaway database on 127.0.0.1:5432 (dropped afterwards).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from core.db import dispose_engines, id_of, migrate, session_scope
from core.models import Course, Job, LLMCallRollup
from core.services import analytics
from core.settings import reset_settings

PG_ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MODELS = [("gpt-4.1-mini", 0.55), ("gpt-4.1", 0.15), ("gpt-5-mini", 0.2), ("gpt-4o-mini", 0.1)]
STEPS = [("outline", 0.05), ("lesson", 0.5), ("slides", 0.4), ("regenerate", 0.05)]
KINDS = {"outline": "outline", "lesson": "lessons", "slides": "slides", "regenerate": "regenerate"}
VIEWS = [
    ("day",),
    ("week",),
    ("month",),
    ("course",),
    ("model",),
    ("prompt_version",),
    ("step",),
    ("job_kind",),
    ("outcome",),
    ("month", "model"),
    ("day", "step"),
    ("course", "model"),
]


def _jobs(n_jobs: int, course_ids: list[int], seed: int = 7) -> list[dict]:
    """Jobs spread over a year; each belongs to one course and kind, as in real use."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=365)
    kinds = list(KINDS.values())
    return [
        {
            "kind": rng.choice(kinds),
            "course_id": rng.choice(course_ids),
            "at": start + timedelta(seconds=rng.uniform(0, 365 * 86400)),
            "model": rng.choices([m for m, _ in MODELS], [w for _, w in MODELS])[0],
            "version": rng.choice(["1.0.0", "1.1.0"]),
        }
        for _ in range(n_jobs)
    ]


def _rows(n: int, jobs: list[tuple[int, dict]], seed: int = 7):
    """A job's calls come in a burst of a few minutes; 3% fail, 2% need remediation."""
    rng = random.Random(seed)
    per_job = max(1, n // len(jobs))
    made = 0
    for job_id, job in jobs:
        step = {"outline": "outline", "lessons": "lesson", "slides": "slides", "regenerate": "lesson"}[
            job["kind"]
        ]
        for k in range(per_job if job_id != jobs[-1][0] else n - made):
            tin = rng.randint(400, 4000)
            cached = tin // 2 if rng.random() < 0.3 else 0
            tout = rng.randint(200, 3000)
            outcome = "error" if rng.random() < 0.03 else ("invalid" if rng.random() < 0.02 else "ok")
            made += 1
            yield (
                job_id,
                job["course_id"],
                step,
                "lesson",
                rng.randint(1, 5000),
                "openai",
                job["model"],
                step,
                job["version"],
                "sha256:bench",
                tin,
                cached,
                tout if outcome != "error" else 0,
                round((tin * 0.4 + tout * 1.6) / 1e6, 6),
                rng.uniform(300, 9000),
                outcome,
                None,
                outcome == "invalid",
                job["at"] + timedelta(seconds=k * 3),
            )


COLUMNS = [
    "job_id",
    "course_id",
    "step",
    "node_type",
    "node_id",
    "provider",
    "model",
    "prompt_id",
    "prompt_version",
    "prompt_checksum",
    "input_tokens",
    "cached_tokens",
    "output_tokens",
    "cost_usd",
    "latency_ms",
    "outcome",
    "error_code",
    "remediation",
    "created_at",
]


def seed(url: str, n: int) -> float:
    started = time.perf_counter()
    with session_scope(url) as session:
        for c in range(50):
            session.add(Course(title=f"Course {c + 1}", params={}))
        session.flush()
        course_ids = [id_of(c) for c in session.exec(sa.select(Course)).scalars()]
        planned = _jobs(max(1, n // 50), course_ids)
        rows = []
        for plan in planned:
            job = Job(kind=plan["kind"], course_id=plan["course_id"], status="succeeded", payload={})
            session.add(job)
            rows.append((job, plan))
        session.flush()
        job_rows = sorted(((id_of(j), plan) for j, plan in rows), key=lambda r: r[1]["at"])
    engine = sa.create_engine(url)
    if url.startswith("postgresql"):
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cur, cur.copy(f"COPY llm_calls ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in _rows(n, job_rows):
                    copy.write_row(row)
            raw.commit()
        finally:
            raw.close()
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE llm_calls")
    else:
        # The DB-API directly: SQLAlchemy's per-row dicts would make seeding the bench's slowest part.
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            sql = f"INSERT INTO llm_calls ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
            batch: list[tuple] = []
            for row in _rows(n, job_rows):
                batch.append((*row[:-1], row[-1].strftime("%Y-%m-%d %H:%M:%S.%f")))
                if len(batch) == 50_000:
                    cur.executemany(sql, batch)
                    batch = []
            if batch:
                cur.executemany(sql, batch)
            raw.commit()
        finally:
            raw.close()
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return time.perf_counter() - started


def time_views(url: str, repeat: int) -> list[tuple[str, float, float]]:
    """(view, best wall seconds, best CPU seconds of this process): the CPU time is the
    steadier figure on a shared machine (on SQLite it includes the query, on PostgreSQL
    only the client's side)."""
    flt = analytics.CostFilter()
    month = analytics.CostFilter(start=(datetime.now(UTC) - timedelta(days=29)).date())
    cases: list[tuple[str, Any]] = [
        (" x ".join(by), lambda s, by=by: analytics.grouped(s, flt, by)) for by in VIEWS
    ]
    cases += [
        ("totals", lambda s: analytics.totals(s, flt)),
        ("unit costs", lambda s: analytics.unit_costs(s, flt)),
        ("top jobs", lambda s: analytics.top_jobs(s, flt)),
        ("top + budgeted jobs", lambda s: analytics.top_and_budgeted(s, flt)),
        ("model x day (savings)", lambda s: analytics.model_day_tokens(s, flt)),
        ("filter options", analytics.filter_options),
        ("30 days x model", lambda s: analytics.grouped(s, month, ("model",))),
    ]
    out = []
    for name, fn in cases:
        best, best_cpu = float("inf"), float("inf")
        for _ in range(repeat):
            started, cpu = time.perf_counter(), time.process_time()
            with session_scope(url, readonly=True) as session:
                fn(session)
            best = min(best, time.perf_counter() - started)
            best_cpu = min(best_cpu, time.process_time() - cpu)
        out.append((name, best, best_cpu))
    return out


# The page script run inside AppTest's script thread, timed there: AppTest's own start-up
# (it scans installed packages for components) is not part of the page.
_TIMED_PAGE = """
import runpy, time
import streamlit as st
started, cpu = time.perf_counter(), time.thread_time()
runpy.run_path({page!r}, run_name="__main__")
st.session_state["_bench_s"] = (time.perf_counter() - started, time.thread_time() - cpu)
"""
# (what is timed, the URL query, which caches are emptied first: all, the grouped rows
# only, or none).
PAGE_CASES = [
    ("first run in a new process (imports, cold cache)", {}, "all"),
    ("last 30 days by day, cold cache", {}, "all"),
    ("last 30 days by day, cached", {}, "none"),
    ("a year by course x model, cold cache", {"preset": "all", "group": "course", "then": "model"}, "all"),
    ("the same year regrouped by month", {"preset": "all", "group": "month"}, "rows"),
    ("a year by course x model, cached", {"preset": "all", "group": "course", "then": "model"}, "none"),
]


def time_page(url: str, repeat: int) -> list[tuple[str, float, float]]:
    """(case, wall seconds, CPU seconds of the script's thread): on a shared machine the CPU
    time is the steadier figure (on SQLite it includes the queries, on PostgreSQL not)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ui import costs

    os.environ["DATABASE_URL"] = url
    reset_settings()
    page = str(Path(__file__).resolve().parents[1] / "pages" / "costs.py")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "timed_costs_page.py"
        script.write_text(_TIMED_PAGE.format(page=page))
        out = []
        for name, query, empty in PAGE_CASES:
            best, best_cpu = float("inf"), float("inf")
            for _ in range(1 if name.startswith("first") else repeat):
                if empty == "all":
                    st.cache_data.clear()
                elif empty == "rows":
                    costs._rows.clear()
                app = AppTest.from_file(str(script), default_timeout=120)
                app.query_params.update(query)
                app.run()
                if app.exception:
                    raise SystemExit(f"the Costs page failed: {app.exception[0].message}")
                wall, cpu = app.session_state["_bench_s"]
                best, best_cpu = min(best, wall), min(best_cpu, cpu)
            out.append((name, best, best_cpu))
    return out


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f} on {os.cpu_count()} cores"


def run(kind: str, url: str, rows: int, repeat: int, *, seeded_already: bool = False) -> None:
    migrate(url)
    if seeded_already:
        print(f"\n{kind}: an already seeded database")
    else:
        seeded = seed(url, rows)
        print(f"\n{kind}: seeded {rows:,} calls in {seeded:.1f} s")
    started = time.perf_counter()
    with session_scope(url) as session:
        folded = analytics.refresh_rollup(session)
        rollup_rows = session.exec(sa.select(sa.func.count()).select_from(LLMCallRollup)).scalar_one()
    print(
        f"  first rollup: {folded:,} calls into {rollup_rows:,} rows in {time.perf_counter() - started:.1f} s "
        "(once; later refreshes fold only new calls)"
    )
    worst = 0.0
    print(f"  grouped views, best of {repeat} ({_load()}):")
    for name, best, cpu in time_views(url, repeat):
        worst = max(worst, best)
        print(f"  {name:<22} {best * 1000:7.0f} ms  (CPU {cpu * 1000:4.0f} ms)")
    print(f"  slowest grouped view  {worst * 1000:7.0f} ms  (target < 1000 ms; {_load()})")
    print(f"  Costs page script, best of {repeat} (target < 1500 ms):")
    for name, best, cpu in time_page(url, repeat):
        print(f"  {name:<52} {best * 1000:7.0f} ms  (CPU {cpu * 1000:5.0f} ms; {_load()})")
    dispose_engines()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--url", help="time an already seeded database (kept) instead of seeding new ones")
    args = parser.parse_args()
    if args.url:
        run(
            "PostgreSQL" if args.url.startswith("postgresql") else "SQLite",
            args.url,
            0,
            args.repeat,
            seeded_already=True,
        )
        return
    kinds = args.db.split(",")
    if "sqlite" in kinds:
        with tempfile.TemporaryDirectory() as tmp:
            run("SQLite", f"sqlite:///{tmp}/costs.db", args.rows, args.repeat)
    if "postgres" in kinds:
        name = f"cs_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            run("PostgreSQL", PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", args.rows, args.repeat)
        finally:
            dispose_engines()
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    io.DEFAULT_BUFFER_SIZE = 1 << 16
    main()
