"""Prometheus metrics: jobs, model calls, HTTP retries, queue depth.

RQ runs every job in a forked work horse, so the worker uses prometheus-client's
multiprocess mode: each process writes its samples to files in PROMETHEUS_MULTIPROC_DIR
and the worker's HTTP endpoint merges them at scrape time. prometheus-client picks its
value store when it is first imported, so this module imports it lazily and the worker
calls `prepare_multiprocess()` before anything records a sample.

Queue depth is read at scrape time by a collector (no process has to keep a gauge fresh).
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PREFIX = "course_studio"
# Seconds: a model call is ~1-60 s, a job minutes.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120)
JOB_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600)
# US dollars per job: the "expensive generation" alert compares against a bucket bound.
COST_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 25)

_lock = threading.Lock()
_metrics: dict[str, Any] | None = None


def prepare_multiprocess(directory: str | Path) -> Path:
    """Use multiprocess mode with a fresh sample directory (call before the first sample)."""
    path = Path(directory)
    if path.exists():
        shutil.rmtree(path)  # samples of an earlier run would be merged into this one's
    path.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    if _metrics is not None:
        raise RuntimeError("metrics were recorded before multiprocess mode was set up")
    return path


def _m() -> dict[str, Any]:
    global _metrics
    if _metrics is not None:
        return _metrics
    with _lock:
        if _metrics is None:
            from prometheus_client import Counter, Histogram

            p = PREFIX
            _metrics = {
                "jobs": Counter(f"{p}_jobs", "Jobs finished, by kind and outcome", ["kind", "outcome"]),
                "job_seconds": Histogram(
                    f"{p}_job_duration_seconds",
                    "Wall time of one job attempt",
                    ["kind", "outcome"],
                    buckets=JOB_BUCKETS,
                ),
                "job_cost": Histogram(
                    f"{p}_job_cost_usd",
                    "Model spend of one job (all attempts)",
                    ["kind"],
                    buckets=COST_BUCKETS,
                ),
                "calls": Counter(
                    f"{p}_llm_calls",
                    "Model calls, by model, prompt and outcome",
                    ["model", "prompt", "outcome"],
                ),
                "call_seconds": Histogram(
                    f"{p}_llm_call_duration_seconds",
                    "Latency of one model call",
                    ["model", "prompt"],
                    buckets=LATENCY_BUCKETS,
                ),
                "tokens": Counter(f"{p}_llm_tokens", "Tokens, by model and kind", ["model", "kind"]),
                "cost": Counter(f"{p}_llm_cost_usd", "Model spend in US dollars", ["model", "prompt"]),
                "retries": Counter(
                    f"{p}_http_retries", "HTTP requests retried, by host and reason", ["host", "reason"]
                ),
            }
    return _metrics


def job_finished(kind: str, outcome: str, seconds: float, cost_usd: float) -> None:
    m = _m()
    m["jobs"].labels(kind, outcome).inc()
    m["job_seconds"].labels(kind, outcome).observe(seconds)
    m["job_cost"].labels(kind).observe(cost_usd)


def model_call(
    model: str,
    prompt: str,
    outcome: str,
    latency_s: float,
    input_tokens: int,
    output_tokens: int,
    cached_tokens: int,
    cost_usd: float,
) -> None:
    m = _m()
    m["calls"].labels(model, prompt, outcome).inc()
    m["call_seconds"].labels(model, prompt).observe(latency_s)
    for kind, value in (("input", input_tokens), ("output", output_tokens), ("cached", cached_tokens)):
        if value:
            m["tokens"].labels(model, kind).inc(value)
    if cost_usd:
        m["cost"].labels(model, prompt).inc(cost_usd)


def http_retry(host: str, reason: str) -> None:
    _m()["retries"].labels(host, reason).inc()


class QueueCollector:
    """Queue depth at scrape time: RQ's queue length and the jobs table's queued rows."""

    def __init__(self, queue: Any) -> None:
        self._queue = queue

    def collect(self) -> Any:
        from prometheus_client.core import GaugeMetricFamily

        depth = GaugeMetricFamily(f"{PREFIX}_queue_depth", "Jobs waiting in the RQ queue", labels=["queue"])
        try:
            depth.add_metric([self._queue.name], float(self._queue.count))
        except Exception:  # Redis down: the scrape still answers; the alert sees no sample
            log.warning("queue depth unavailable", exc_info=True)
        yield depth
        queued = GaugeMetricFamily(
            f"{PREFIX}_jobs_queued", "Jobs in the jobs table waiting to run, oldest age in seconds", labels=[]
        )
        oldest = GaugeMetricFamily(
            f"{PREFIX}_oldest_queued_job_age_seconds", "Age of the oldest queued job", labels=[]
        )
        try:
            count, age = _queued_jobs()
            queued.add_metric([], float(count))
            oldest.add_metric([], age)
        except Exception:
            log.warning("queued jobs unavailable", exc_info=True)
        yield queued
        yield oldest


def _queued_jobs() -> tuple[int, float]:
    from sqlalchemy import func
    from sqlmodel import select

    from core.db import session_scope
    from core.models import Job, JobStatus, utcnow

    with session_scope(readonly=True) as session:
        count, first = session.exec(
            select(func.count(), func.min(Job.created_at)).where(Job.status == JobStatus.queued)
        ).one()
    if not first:
        return int(count), 0.0
    now = utcnow()
    if first.tzinfo is None:
        now = now.replace(tzinfo=None)
    return int(count), max(0.0, (now - first).total_seconds())


def serve(port: int, addr: str, queue: Any = None) -> int:
    """Expose the merged metrics of this process and its work horses; returns the bound port."""
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client import multiprocess as mp

    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        mp.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    if queue is not None:
        registry.register(QueueCollector(queue))
    server, _thread = start_http_server(port, addr=addr, registry=registry)
    return int(server.server_port)


def mark_process_dead(pid: int) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess as mp

        mp.mark_process_dead(pid)
