"""How long a read waits while a writer holds SQLite's write lock (issue 11).

A writer thread opens a unit of work, writes, and keeps its transaction open for
--hold-s seconds; meanwhile the main thread reads the job poll's query once through a
unit of work (BEGIN IMMEDIATE, what every session used to be) and once through a read
session (deferred BEGIN). Prints each wait; never asserts. Target: the read session
waits ~0 s, whatever the writer does.

    python bench/read_wait.py [--hold-s 1.0] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hold-s", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-read-wait-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"

    from core.db import id_of, migrate, read_session, unit_of_work
    from core.jobs import create_job, get_job

    migrate()
    with unit_of_work() as session:
        job_id = id_of(create_job(session, kind="outline"))

    def hold(holding: threading.Event) -> None:
        with unit_of_work() as session:
            job = get_job(session, job_id)
            job.progress = (job.progress + 0.01) % 1
            session.add(job)
            session.flush()
            holding.set()
            time.sleep(args.hold_s)

    waits: dict[str, list[float]] = {"unit_of_work (BEGIN IMMEDIATE)": [], "read_session (BEGIN)": []}
    for _ in range(args.rounds):
        for name, opener in (
            ("unit_of_work (BEGIN IMMEDIATE)", unit_of_work),
            ("read_session (BEGIN)", read_session),
        ):
            holding = threading.Event()
            writer = threading.Thread(target=hold, args=(holding,))
            writer.start()
            holding.wait()
            started = time.perf_counter()
            with opener() as session:
                get_job(session, job_id)
            waits[name].append(time.perf_counter() - started)
            writer.join()
    print(f"writer holds the lock {args.hold_s:.2f} s; {args.rounds} rounds")
    for name, values in waits.items():
        print(
            f"  {name:32s} median wait {statistics.median(values) * 1000:8.1f} ms   max {max(values) * 1000:8.1f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
