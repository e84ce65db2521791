"""`python -m workers`: an RQ worker that also resumes jobs orphaned by dead workers.

RQ alone notices a killed worker's job only after the started-registry entry expires and
a maintenance pass runs; the jobs table's heartbeat decides sooner and never repeats
finished work, so a recovery loop runs beside the worker.
"""

from __future__ import annotations

import argparse
import logging
import threading

from core.jobs import recover_orphans, rq_queue
from core.logs import setup_logging
from core.settings import get_settings


def _recovery_loop(stop: threading.Event, interval: float) -> None:
    log = logging.getLogger("workers.recovery")
    while not stop.wait(interval):
        try:
            resumed = recover_orphans()
            if resumed:
                log.info("resumed orphaned jobs", extra={"job_ids": resumed})
        except Exception:
            log.exception("orphan recovery failed; will try again")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers", description=__doc__)
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    parser.add_argument("--name", default=None, help="worker name (default: RQ's)")
    args = parser.parse_args(argv)

    setup_logging()
    settings = get_settings()
    if not settings.REDIS_URL:
        parser.error("REDIS_URL is not set: without Redis, jobs run in the app's own process")

    from rq import Worker

    queue = rq_queue()
    recover_orphans()
    stop = threading.Event()
    interval = max(1.0, settings.JOB_STALE_AFTER_S / 2)
    threading.Thread(target=_recovery_loop, args=(stop, interval), daemon=True, name="recovery").start()
    worker = Worker([queue], connection=queue.connection, name=args.name, maintenance_interval=60)
    try:
        # The scheduler runs deferred jobs (HeyGen polls, issue-14) when they are due.
        worker.work(burst=args.burst, with_scheduler=True)
    finally:
        stop.set()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
