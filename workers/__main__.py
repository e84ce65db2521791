"""`python -m workers`: an RQ worker that also resumes jobs orphaned by dead workers.

RQ alone notices a killed worker's job only after the started-registry entry expires and
a maintenance pass runs; the jobs table's heartbeat decides sooner and never repeats
finished work, so a recovery loop runs beside the worker.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from core import metrics
from core.jobs import load_all_tasks, recovery_pass, rq_queue
from core.logs import setup_logging
from core.settings import Settings, get_settings
from core.tracing import setup_tracing


def _recovery_loop(stop: threading.Event, interval: float) -> None:
    log = logging.getLogger("workers.recovery")
    while not stop.wait(interval):
        try:
            passed = recovery_pass()
            if passed["orphans"]:
                log.info("resumed orphaned jobs", extra={"job_ids": passed["orphans"]})
            if passed["requeued"]:
                # Queued in the table but not (alive) in Redis: enqueue failed, Redis lost
                # its data, or a dead "started" entry held the id.
                log.info("re-enqueued queued jobs missing from Redis", extra={"job_ids": passed["requeued"]})
        except Exception:
            log.exception("orphan recovery failed; will try again")


def _observability(settings: Settings, queue: Any) -> None:
    """Spans when configured; metrics of this process and its forked work horses on a port."""
    setup_tracing()
    if settings.METRICS_PORT is None:
        return
    samples = settings.PROMETHEUS_MULTIPROC_DIR or Path(tempfile.gettempdir()) / f"cs-metrics-{os.getpid()}"
    metrics.prepare_multiprocess(samples)
    port = metrics.serve(settings.METRICS_PORT, settings.METRICS_ADDR, queue)
    logging.getLogger("workers").info(
        "metrics on http://%s:%d/metrics", settings.METRICS_ADDR, port, extra={"metrics_port": port}
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workers", description=__doc__)
    parser.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    parser.add_argument("--name", default=None, help="worker name (default: RQ's)")
    args = parser.parse_args(argv)

    setup_logging()
    settings = get_settings()
    if not settings.REDIS_URL:
        parser.error("REDIS_URL is not set: without Redis, jobs run in the app's own process")

    load_all_tasks()
    queue = rq_queue()
    _observability(settings, queue)
    _first_pass()
    stop = threading.Event()
    interval = max(1.0, settings.JOB_STALE_AFTER_S / 2)
    threading.Thread(target=_recovery_loop, args=(stop, interval), daemon=True, name="recovery").start()
    try:
        _work_until_stopped(queue, args.name, args.burst)
    finally:
        stop.set()
    return 0


def _first_pass() -> None:
    try:
        recovery_pass()
    except Exception:  # Redis or the database still starting: the loop tries again
        logging.getLogger("workers.recovery").exception("first recovery pass failed; will try again")


def _work_until_stopped(queue: Any, name: str | None, burst: bool) -> None:
    """Run RQ's worker loop; when it quits on a lost Redis connection (RQ returns from
    work() on errors outside its dequeue retry), wait with capped exponential backoff,
    say so in the log, and start a fresh worker. Stops on SIGTERM/SIGINT or in burst mode."""
    from redis.exceptions import RedisError
    from rq import Worker

    log = logging.getLogger("workers.redis")
    delay, restarts = 1.0, 0
    while True:
        worker = None
        try:
            worker = Worker(
                [queue],
                connection=queue.connection,
                name=name if restarts == 0 or name is None else f"{name}-r{restarts}",
                maintenance_interval=60,
            )
            # The scheduler runs deferred jobs (HeyGen polls, issue 14) when they are due.
            worker.work(burst=burst, with_scheduler=True)
        except RedisError as exc:
            log.warning("worker lost Redis (%s)", exc)
        if burst or (worker is not None and worker._stop_requested):
            return
        restarts += 1
        log.warning(
            "RQ worker stopped (Redis unreachable?); reconnecting in %.1fs (restart %s)", delay, restarts
        )
        time.sleep(delay)
        delay = min(30.0, delay * 2)
        try:
            queue.connection.ping()  # type: ignore[attr-defined]
            log.info("Redis is reachable again; worker restarting")
            delay = 1.0
        except RedisError as exc:
            log.warning("Redis still unreachable: %s", exc)


if __name__ == "__main__":
    raise SystemExit(main())
