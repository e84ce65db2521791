"""RQ cron entry: `rq cron evals.cron --url $REDIS_URL` starts the nightly evaluation job.

The job (kind "eval") runs on the normal workers, writes out/evals/job-<id>/report.*,
records an eval_runs row and shows on the jobs and evaluations pages.
"""

from __future__ import annotations

from rq import cron

from core.db import id_of
from core.settings import get_settings

NIGHTLY_CRON = "0 3 * * *"  # 03:00 UTC, after the content team's day


def nightly_eval() -> int:
    """Start the nightly evaluation of the production outline prompt; returns the job id."""
    from core.auth import local_actor
    from core.jobs import start_job

    job = start_job(
        kind="eval",
        actor=local_actor("nightly-eval"),
        payload={"prompt_id": "outline", "label": "production", "repeats": 2},
    )
    return id_of(job)


cron.register(nightly_eval, queue_name=get_settings().RQ_QUEUE, cron=NIGHTLY_CRON, name="nightly-eval")
