"""Functions RQ imports by name. They take ids only; the jobs table holds the rest."""

from __future__ import annotations

from core.jobs import execute


def run_job(job_id: int) -> str:
    """Run one Course Studio job; returns its final status."""
    return execute(job_id)
