"""The model-call scheduler's decisions (core/llm/scheduler.py), and its in-process
backend with real threads."""

from __future__ import annotations

import threading

import httpx
import pytest

from core.llm import scheduler as sch
from core.llm.scheduler import BULK, INTERACTIVE, MemoryBackend, Scope, Signals, dispatch, new_state, release


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1s", 1.0), ("6m0s", 360.0), ("12ms", 0.012), ("120ms", 0.12), ("1h2m3.5s", 3723.5), ("17.088s", 17.088),
     ("2", 2.0), ("", None), (None, None), ("soon", None), ("1s garbage", None)],
)  # fmt: skip
def test_reset_durations_read_as_openai_writes_them(text: str | None, seconds: float | None) -> None:
    assert (
        sch.parse_duration(text) == pytest.approx(seconds)
        if seconds is not None
        else sch.parse_duration(text) is None
    )


def _wait(state: dict, wid: str, job: str, prio: int = BULK, at: float = 0.0, tokens: int = 0) -> None:
    state["waiters"][wid] = {"job": job, "prio": prio, "at": at, "seen": 1e12, "tokens": tokens}


def _headers(**values: str) -> Signals:
    return Signals.from_response(200, httpx.Headers(values))


def test_the_job_with_fewest_calls_in_flight_goes_first() -> None:
    state = new_state(cap=4, start=4)
    for i in range(3):
        _wait(state, f"big{i}", "job:1", at=i)
    assert dispatch(state, 100.0)[0] == ["big0", "big1", "big2"]
    for i in range(3, 8):
        _wait(state, f"big{i}", "job:1", at=i)
    _wait(state, "small", "job:2", at=50)  # arrived after every waiting call of job 1
    granted, _ = dispatch(state, 100.0)
    assert granted == ["small"]


def test_interactive_work_goes_before_bulk_work() -> None:
    state = new_state(cap=1, start=1)
    _wait(state, "bulk", "job:1", at=0)
    _wait(state, "regen", "job:2", prio=INTERACTIVE, at=9)
    assert dispatch(state, 100.0)[0] == ["regen"]


def test_remaining_requests_are_spent_then_everybody_waits_for_the_reset() -> None:
    state = new_state(cap=32, start=4)
    _wait(state, "a", "job:1")
    dispatch(state, 0.0)
    release(state, "a", _headers(**{"x-ratelimit-remaining-requests": "2", "x-ratelimit-reset-requests": "10s",
                                    "x-ratelimit-limit-requests": "3"}), 0.5)  # fmt: skip
    for i in range(5):
        _wait(state, f"w{i}", "job:1", at=i)
    granted, wake = dispatch(state, 1.0)
    assert granted == ["w0", "w1"]  # the two the server still allows
    assert wake == pytest.approx(10.5)  # nothing more until the reset
    assert dispatch(state, 5.0)[0] == []
    # Past the reset the limit (3) is back, less the two calls still out (they may reach
    # the server in its new window).
    assert dispatch(state, 10.6)[0] == ["w2"]
    release(state, "w0", Signals(status=200), 10.7)
    assert dispatch(state, 10.7)[0] == ["w3"]


def test_an_answer_overtaken_by_a_newer_one_does_not_reset_the_budget() -> None:
    state = new_state(cap=32, start=4)
    for wid in ("old", "new"):
        _wait(state, wid, "job:1", at=0 if wid == "old" else 1)
    dispatch(state, 0.0)
    release(
        state,
        "new",
        _headers(**{"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "5s"}),
        1,
    )
    release(
        state,
        "old",
        _headers(**{"x-ratelimit-remaining-requests": "7", "x-ratelimit-reset-requests": "5s"}),
        1,
    )
    _wait(state, "next", "job:1")
    assert dispatch(state, 2.0)[0] == []


def test_remaining_tokens_hold_back_a_call_that_would_not_fit() -> None:
    state = new_state(cap=32, start=4)
    _wait(state, "a", "job:1", tokens=100)
    _wait(state, "b", "job:1", tokens=100, at=1)
    dispatch(state, 0.0)
    release(
        state, "a", _headers(**{"x-ratelimit-remaining-tokens": "150", "x-ratelimit-reset-tokens": "2s"}), 0.1
    )
    _wait(state, "c", "job:1", tokens=100, at=2)
    granted, wake = dispatch(state, 0.2)
    assert granted == []  # 150 left minus b's 100 in flight: c's 100 does not fit
    assert wake == pytest.approx(2.1)


def test_a_429_halves_the_window_once_per_episode_and_everybody_waits_retry_after() -> None:
    state = new_state(cap=32, start=8)
    for i in range(8):
        _wait(state, f"w{i}", "job:1", at=i)
    dispatch(state, 0.0)
    for i in range(8):  # every call in flight comes back 429
        release(state, f"w{i}", Signals(status=429, retry_after_s=2.0), 1.0)
    assert state["window"] == 4
    _wait(state, "next", "job:1")
    assert dispatch(state, 2.5)[0] == []
    assert dispatch(state, 3.0)[0] == ["next"]
    # A quota answer asking for hours holds nobody longer than the cap.
    release(state, "next", Signals(status=429, retry_after_s=7200.0), 4.0)
    assert state["cooldown_until"] == pytest.approx(4.0 + state["max_cooldown_s"])


def test_without_headers_the_window_grows_on_success_and_slowly_after_a_429() -> None:
    state = new_state(cap=10, start=2)
    ok = Signals(status=200)
    for i in range(3):
        _wait(state, f"w{i}", "job:1")
        dispatch(state, 0.0)
        release(state, f"w{i}", ok, 0.1)
    assert state["window"] == 5  # slow start: +1 per success
    for i in range(5):
        _wait(state, f"x{i}", "job:1", at=i)
    dispatch(state, 0.0)
    release(state, "x0", Signals(status=429), 0.2)  # with 5 calls out
    assert state["window"] == 2.5
    for i in range(1, 5):
        release(state, f"x{i}", ok, 0.3)  # already out before the 429: no slow start any more
    expected = 2.5
    for _ in range(4):
        expected += 1 / expected  # additive: 1/window per success
    assert state["window"] == pytest.approx(expected)
    state["window"] = 4.0
    _wait(state, "y", "job:1")
    dispatch(state, 5.0)
    release(state, "y", ok, 5.1)
    # Within one call of where it broke (5 out), growth is ten times slower.
    assert state["window"] == pytest.approx(4.0 + 1 / 4.0 / 10)


def test_memory_backend_serves_a_late_regeneration_before_a_queue_of_bulk_calls() -> None:
    backend = MemoryBackend(cap=1, start=1)
    order: list[str] = []
    holder = backend.acquire("m", Scope("job:1", BULK), 0, 5)
    queued = threading.Barrier(9)

    def bulk(i: int) -> None:
        queued.wait()
        permit = backend.acquire("m", Scope("job:1", BULK), 0, 30)
        order.append(f"bulk{i}")
        backend.release(permit, Signals(status=200))

    threads = [threading.Thread(target=bulk, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    queued.wait()
    _until(lambda: len(backend.snapshot("m")["waiters"]) == 8)

    def regen() -> None:
        permit = backend.acquire("m", Scope("job:2", INTERACTIVE), 0, 30)
        order.append("regen")
        backend.release(permit, Signals(status=200))

    late = threading.Thread(target=regen)
    late.start()
    _until(lambda: len(backend.snapshot("m")["waiters"]) == 9)
    backend.release(holder, Signals(status=200))
    for t in [*threads, late]:
        t.join(30)
    assert order[0] == "regen"
    assert sorted(order[1:]) == sorted(f"bulk{i}" for i in range(8))


def _until(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    done = threading.Event()
    for _ in range(int(timeout / 0.005)):
        if condition():
            return
        done.wait(0.005)
    raise AssertionError("condition not met in time")
