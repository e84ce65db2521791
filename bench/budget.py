"""Budget caps under load: 20 budgeted course runs at concurrency 8 against the fake OpenAI
server, which pads every answer with a random amount (up to the request's max output
tokens), so each call costs anywhere between a little and its full worst case.

Prints, per run and overall: money spent (sum of llm_calls.cost_usd) against the budget,
the largest overshoot (target: 0) and how close spending came to the cap.

    python bench/budget.py [--runs 20] [--budget 0.01] [--concurrency 8] [--model gpt-4.1-nano]
                           [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--budget", type=float, default=0.01)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--model", default="gpt-4.1-nano")
    parser.add_argument("--modules", type=int, default=3)
    parser.add_argument("--lessons", type=int, default=4)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()

    import sqlalchemy as sa

    tmp = tempfile.mkdtemp(prefix="bench-budget-")
    pg_name = None
    if args.database == "postgres":
        pg_name = f"bench_budget_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{pg_name}"')
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{pg_name}"
    else:
        url = f"sqlite:///{tmp}/bench.db"

    from tests.fakes.openai_server import FakeOpenAIServer

    try:
        with FakeOpenAIServer(pad_seed=int(time.time())) as server:
            os.environ.update(
                {
                    "DATABASE_URL": url,
                    "FILES_DIR": tmp,
                    "LLM_PROVIDER": "openai",
                    "OPENAI_API_KEY": "sk-bench-budget-0123456789",
                    "OPENAI_BASE_URL": server.base_url,
                    "HTTP_RETRIES": "0",
                    "GENERATION_CONCURRENCY": str(args.concurrency),
                    "MODEL_OUTLINE": args.model,
                    "MODEL_LESSON": args.model,
                    "MODEL_SLIDES": args.model,
                }
            )
            os.environ.pop("REDIS_URL", None)
            _runs(args, url)
    finally:
        from core.db import dispose_engines

        dispose_engines()
        if pg_name:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def _runs(args: argparse.Namespace, url: str) -> None:
    from sqlalchemy import func
    from sqlmodel import select

    from core.auth import local_actor
    from core.db import migrate, session_scope
    from core.jobs import wait_for
    from core.models import LLMCall
    from core.schemas import CourseParams
    from core.services import generation
    from core.services.courses import create_course
    from core.settings import reset_settings

    reset_settings()
    migrate(url)
    overshoots, ratios, calls_made = [], [], []
    started = time.perf_counter()
    print(f"{args.runs} runs, budget ${args.budget:.4f}, concurrency {args.concurrency}, model {args.model}, "
          f"{args.modules}x{args.lessons} course, {args.database}")  # fmt: skip
    for run in range(args.runs):
        params = CourseParams(
            topic=f"Budget run {run}", module_count=args.modules, lessons_per_module=args.lessons,
            total_duration_minutes=args.modules * args.lessons * 15,
        )  # fmt: skip
        with session_scope() as session:
            course_id = int(create_course(session, params=params, actor=local_actor()).id or 0)
        job = wait_for(int(generation.start_course(course_id=course_id, budget_usd=args.budget, actor=local_actor()).id or 0),
                       timeout=600)  # fmt: skip
        with session_scope() as session:
            spent = float(session.exec(select(func.coalesce(func.sum(LLMCall.cost_usd), 0.0))
                                       .where(LLMCall.job_id == job.id)).one())  # fmt: skip
            calls = int(
                session.exec(select(func.count()).select_from(LLMCall).where(LLMCall.job_id == job.id)).one()
            )
            left = int(session.exec(select(func.count()).select_from(LLMCall)
                                    .where(LLMCall.job_id == job.id, LLMCall.outcome == "started")).one())  # fmt: skip
        overshoots.append(max(0.0, spent - args.budget))
        ratios.append(spent / args.budget)
        calls_made.append(calls)
        print(f"run {run + 1:2d}: {job.status:9s} {job.error_code or '':20s} calls {calls:3d}  "
              f"spent ${spent:.6f}  = {spent / args.budget:6.1%} of the cap"
              + (f"  ({left} rows left started!)" if left else ""))  # fmt: skip
    print()
    print(f"largest overshoot: ${max(overshoots):.6f} (target 0)")
    print(f"closest to the cap: {max(ratios):.1%} of the budget; mean {sum(ratios) / len(ratios):.1%}; "
          f"lowest {min(ratios):.1%}")  # fmt: skip
    print(
        f"calls per run: {min(calls_made)}-{max(calls_made)}; wall time {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
