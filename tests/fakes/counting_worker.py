"""`python -m workers` with every offline-provider call counted at the provider: each call
appends "pid time step title" to the file named by CALL_LOG the moment it reaches the
provider (before its simulated latency), the moment it is paid for. Used by the fencing
test and bench/chaos.py to count calls paid twice, without touching core/llm."""

from __future__ import annotations

import os
import time

from core.llm.base import LLMRequest, LLMResponse
from core.llm.providers.offline import OfflineProvider

_complete = OfflineProvider.complete


def _counted(self: OfflineProvider, request: LLMRequest) -> LLMResponse:
    v = request.variables
    title = str(v.get("lesson_title") or v.get("module_title") or v.get("topic") or "")
    line = f"{os.getpid()}\t{time.time():.3f}\t{request.step}\t{int(request.remediation)}\t{title}\n"
    fd = os.open(os.environ["CALL_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())  # one small O_APPEND write: lines never interleave
    finally:
        os.close(fd)
    return _complete(self, request)


def read_calls(path: str) -> list[tuple[int, float, str, bool, str]]:
    """The calls logged so far: (pid, time, step, remediation, title)."""
    if not os.path.exists(path):
        return []
    out = []
    with open(path, encoding="utf-8") as lines:
        rows = lines.read().splitlines()
    for raw in rows:
        pid, ts, step, remediation, title = raw.split("\t", 4)
        out.append((int(pid), float(ts), step, remediation == "1", title))
    return out


if __name__ == "__main__":
    # Counted only in the worker this module starts: importing read_calls (the tests and
    # the bench do) must leave the offline provider of the importing process alone.
    OfflineProvider.complete = _counted  # type: ignore[method-assign]
    from workers.__main__ import main

    raise SystemExit(main())
