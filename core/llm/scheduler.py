"""One scheduler for every model call: a shared limiter per model that follows the
provider's own signals, and hands free capacity out fairly between jobs.

Every HTTP attempt to a model endpoint (retries included) asks the limiter for a permit
(``ScheduledTransport`` sits under the retry layer of the shared httpx client), so calls
from every job thread, and with Redis from every worker process, share one picture:

- ``x-ratelimit-remaining-requests/-tokens`` with ``x-ratelimit-reset-requests/-tokens``
  (platform.openai.com/docs/guides/rate-limits#rate-limits-in-headers: "The remaining
  number of requests that are permitted before exhausting the rate limit", "The time
  until the rate limit (based on requests) resets to its initial state", values such as
  ``1s``, ``6m0s``, ``12ms``): once the budget the last answer reported is spent by the
  calls sent after it, nobody is let through until the reset;
- 429 with ``Retry-After`` / ``retry-after-ms``: everybody waits that long, and the
  window is halved;
- no headers at all (vLLM, Ollama, proxies): an additive-increase/multiplicative-decrease
  window of calls in flight, growing by one per success until the first 429 (slow
  start), then by 1/window, halved once per 429 episode.

``LLM_MAX_IN_FLIGHT`` is an upper bound, never a fixed number. Fairness: waiters are
served interactive first (a call outside a job, a one-section regeneration), then the
job with the fewest calls in flight, then first come: a 100-lesson course cannot starve
a 1-lesson regeneration.

The decision logic works on a plain dict (``dispatch``/``release``), kept in process
memory behind a lock or, when Redis is configured, as one JSON value per model changed
in WATCH/MULTI transactions, with a grant list per waiter to wake it.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import math
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from core.retry_after import parse_retry_after
from core.settings import Settings, get_settings

log = logging.getLogger(__name__)

# Endpoints whose calls count against a model's limits.
MODEL_PATHS = ("/chat/completions", "/responses", "/embeddings", "/moderations")
INTERACTIVE, BULK = 0, 1
# A holder that never reports back (its process died) frees its slot after this long.
LEASE_S = 300.0
# A waiter that stopped looking (its process died) is forgotten after this long.
WAITER_STALE_S = 10.0
# Headers older than this no longer say the server sends them (AIMD takes over again).
HEADERS_FRESH_S = 60.0
# A 429 without Retry-After or a reset header: wait this long.
DEFAULT_COOLDOWN_S = 1.0
# After a reset, the full limit is assumed for this long unless an answer says otherwise
# (OpenAI's limits are per minute).
ROLL_S = 60.0
GRANTS_KEPT = 2000
SHARED_RETRY_S = 30.0
# Below the level of the last 429 the AIMD window grows by 1/window per success; this
# many times slower within one call of it.
PROBE_SLOWDOWN = 10.0
_MODEL_RX = re.compile(rb'"model"\s*:\s*"([^"]{1,200})"')
_MAX_TOKENS_RX = re.compile(rb'"max_(?:completion_)?tokens"\s*:\s*(\d+)')
_DURATION_RX = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


# ------------------------------------------------------------------ who is asking


@dataclass(frozen=True)
class Scope:
    job: str
    priority: int


_scope: contextvars.ContextVar[Scope | None] = contextvars.ContextVar("llm_scope", default=None)


@contextlib.contextmanager
def call_scope(*, job_id: int | None, interactive: bool | None = None) -> Iterator[None]:
    """Calls made inside count for this job; outside a job a call is interactive."""
    interactive = job_id is None if interactive is None else interactive
    token = _scope.set(Scope(f"job:{job_id}" if job_id else "direct", INTERACTIVE if interactive else BULK))
    try:
        yield
    finally:
        _scope.reset(token)


def current_scope() -> Scope:
    return _scope.get() or Scope("direct", INTERACTIVE)


# ------------------------------------------------------------------ provider signals


def parse_duration(value: str | None) -> float | None:
    """Seconds in an OpenAI reset header: "1s", "6m0s", "12ms", "1h2m3.5s", or a bare number."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    parts = _DURATION_RX.findall(value)
    if not parts or "".join(n + u for n, u in parts) != value:
        return None
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(float(n) * scale[u] for n, u in parts)


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


@dataclass
class Signals:
    """What one answer told us about the provider's limits."""

    status: int | None = None  # None: no answer (transport error)
    limit_requests: int | None = None
    limit_tokens: int | None = None
    remaining_requests: int | None = None
    reset_requests_s: float | None = None
    remaining_tokens: int | None = None
    reset_tokens_s: float | None = None
    retry_after_s: float | None = None

    @property
    def has_headers(self) -> bool:
        return self.remaining_requests is not None or self.remaining_tokens is not None

    @classmethod
    def from_response(cls, status: int | None, headers: httpx.Headers | None) -> Signals:
        if headers is None:
            return cls(status=status)
        remaining_tokens = _int(headers.get("x-ratelimit-remaining-tokens"))
        # Azure answers -1 where it does not track a limit (openai/openai-dotnet#838).
        return cls(
            status=status,
            limit_requests=_nonneg(_int(headers.get("x-ratelimit-limit-requests"))),
            limit_tokens=_nonneg(_int(headers.get("x-ratelimit-limit-tokens"))),
            remaining_requests=_nonneg(_int(headers.get("x-ratelimit-remaining-requests"))),
            reset_requests_s=parse_duration(headers.get("x-ratelimit-reset-requests")),
            remaining_tokens=_nonneg(remaining_tokens),
            reset_tokens_s=parse_duration(headers.get("x-ratelimit-reset-tokens")),
            retry_after_s=parse_retry_after(headers),
        )

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def _nonneg(value: int | None) -> int | None:
    return value if value is not None and value >= 0 else None


# ------------------------------------------------------------------ the decision logic


def new_state(cap: int, start: int, max_cooldown_s: float = 60.0) -> dict[str, Any]:
    return {
        "cap": cap,
        # A server asking for hours (an exhausted quota) is answered by the retry layer at
        # once; the limiter holds everybody back no longer than a retry would wait.
        "max_cooldown_s": max_cooldown_s,
        "window": float(min(cap, start)),
        "slow_start": True,
        "holders": {},  # id -> {job, until, seq, at, tokens}
        "waiters": {},  # id -> {job, prio, at, seen, tokens}
        "seq": 0,  # permits issued
        "grants": {"req": [], "tok": []},  # recent (time, units, id) granted, for the roll
        "cooldown_until": 0.0,
        "req": None,  # {remaining, reset_at, seq} from the newest answer with headers
        "tok": None,  # {remaining, reset_at, mark, seq}
        "headers_at": 0.0,
        "decrease_seq": -1,  # the last 429 episode: permits issued up to here were in it
        "granted": 0,
        "throttled": 0,
    }


def _limit_in_flight(state: dict[str, Any], now: float) -> int:
    if now - state["headers_at"] < HEADERS_FRESH_S:
        return int(state["cap"])  # the headers meter the rate; in flight is bounded by the cap
    return max(1, min(int(state["cap"]), int(state["window"])))


def _units(name: str, holder: dict[str, Any]) -> int:
    return 1 if name == "req" else int(holder["tokens"])


def _roll(state: dict[str, Any], now: float) -> None:
    """Past a reset the limit is back, not an unknown: count from it until the first
    answer of the new window says where we stand (answers of calls sent before the roll
    describe the old window and are ignored)."""
    for name in ("req", "tok"):
        snap = state[name]
        if not snap or now < snap["reset_at"] or snap.get("limit") is None:
            continue
        # Our reset time is later than the server's by up to one answer's trip: calls
        # granted in that gap, and slow ones still out, may count in the new window.
        since = snap["reset_at"] - snap["lag"]
        # (Calls still out are taken off every budget anyway.)
        spent = sum(
            units for at, units, gid in state["grants"][name] if at >= since and gid not in state["holders"]
        )
        state[name] = {"remaining": snap["limit"] - spent, "limit": snap["limit"], "reset_at": now + ROLL_S,
                       "lag": snap["lag"], "seq": state["seq"], "rolled": True}  # fmt: skip


def _budget(state: dict[str, Any], name: str, now: float) -> float:
    """What the provider lets through now: the lowest remaining its answers reported in
    this window (the latest count it admitted), less every call still out, as any of them
    may have been counted after that answer's request."""
    snap = state[name]
    if not snap or now >= snap["reset_at"]:
        return math.inf
    return snap["remaining"] - sum(_units(name, h) for h in state["holders"].values())


def _learn(
    state: dict[str, Any],
    name: str,
    holder: dict[str, Any],
    remaining: int,
    reset_s: float,
    limit: int | None,
    now: float,
) -> None:
    snap = state[name]
    fresh = {"remaining": remaining, "limit": limit, "reset_at": now + reset_s, "lag": now - holder["at"],
             "seq": holder["seq"], "rolled": False}  # fmt: skip
    if not snap or now >= snap["reset_at"]:
        state[name] = fresh
    elif snap["rolled"]:
        # The first answer sent after the roll measures the new window; older ones do not.
        if holder["seq"] > snap["seq"]:
            state[name] = fresh
    elif remaining <= snap["remaining"]:
        snap.update(remaining=remaining, reset_at=max(snap["reset_at"], fresh["reset_at"]),
                    lag=max(snap["lag"], fresh["lag"]), limit=limit or snap["limit"])  # fmt: skip


def dispatch(state: dict[str, Any], now: float) -> tuple[list[str], float]:
    """Grant permits to the best waiters while there is room. Returns the granted ids and
    the moment something time-based (a cooldown, a reset) may free room."""
    for hid, holder in list(state["holders"].items()):
        if holder["until"] < now:
            del state["holders"][hid]
    for wid, waiter in list(state["waiters"].items()):
        if waiter["seen"] < now - WAITER_STALE_S:
            del state["waiters"][wid]
    # A roll needs the grants made since its snapshot's reset less its lag, and a future
    # snapshot (from a call still out) those since that call was granted: nothing older.
    bounds = [h["at"] for h in state["holders"].values()]
    bounds += [snap["reset_at"] - snap["lag"] for snap in (state["req"], state["tok"]) if snap]
    horizon = min(bounds, default=now)
    for name in ("req", "tok"):
        recent = state["grants"][name]
        if recent and (recent[0][0] < horizon or len(recent) > GRANTS_KEPT):
            state["grants"][name] = [g for g in recent if g[0] >= horizon][-GRANTS_KEPT:]
    _roll(state, now)
    wake = math.inf
    granted: list[str] = []
    if now < state["cooldown_until"]:
        return granted, state["cooldown_until"]
    in_flight: dict[str, int] = {}
    for holder in state["holders"].values():
        in_flight[holder["job"]] = in_flight.get(holder["job"], 0) + 1
    limit = _limit_in_flight(state, now)
    while state["waiters"] and len(state["holders"]) < limit:
        wid, waiter = min(
            state["waiters"].items(),
            key=lambda kv: (kv[1]["prio"], in_flight.get(kv[1]["job"], 0), kv[1]["at"], kv[0]),
        )
        if _budget(state, "req", now) < 1:
            wake = min(wake, state["req"]["reset_at"])
            break
        tokens_left = _budget(state, "tok", now)
        # A call larger than anything the window could hold goes alone, for the server to judge.
        if tokens_left < waiter["tokens"] and (
            state["holders"] or tokens_left < (state["tok"]["limit"] or 0)
        ):
            wake = min(wake, state["tok"]["reset_at"])
            break
        del state["waiters"][wid]
        state["seq"] += 1
        state["holders"][wid] = {
            "job": waiter["job"],
            "until": now + LEASE_S,
            "seq": state["seq"],
            "at": now,
            "tokens": waiter["tokens"],
        }
        state["grants"]["req"].append((now, 1, wid))
        state["grants"]["tok"].append((now, waiter["tokens"], wid))
        state["granted"] += 1
        in_flight[waiter["job"]] = in_flight.get(waiter["job"], 0) + 1
        granted.append(wid)
    return granted, wake


def release(state: dict[str, Any], permit_id: str, signals: Signals, now: float) -> None:
    """Take a finished call's permit back and learn from its answer."""
    holder = state["holders"].pop(permit_id, None)
    seq = holder["seq"] if holder else state["seq"]
    if signals.has_headers:
        state["headers_at"] = now
        if holder and signals.remaining_requests is not None and signals.reset_requests_s is not None:
            _learn(state, "req", holder, signals.remaining_requests, signals.reset_requests_s,
                   signals.limit_requests, now)  # fmt: skip
        if holder and signals.remaining_tokens is not None and signals.reset_tokens_s is not None:
            _learn(state, "tok", holder, signals.remaining_tokens, signals.reset_tokens_s,
                   signals.limit_tokens, now)  # fmt: skip
    if signals.status == 429:
        state["throttled"] += 1
        wait = signals.retry_after_s
        if wait is None:
            resets = [s for s in (signals.reset_requests_s, signals.reset_tokens_s) if s]
            wait = max(resets) if resets and signals.remaining_requests == 0 else None
        if wait is None and signals.remaining_tokens == 0:
            wait = signals.reset_tokens_s
        wait = min(wait or DEFAULT_COOLDOWN_S, state["max_cooldown_s"])
        state["cooldown_until"] = max(state["cooldown_until"], now + wait)
        # One decrease per episode: the calls already in flight when the first 429 came
        # back would otherwise halve the window again each.
        if seq > state["decrease_seq"]:
            # Where it broke: growth slows down near it (probing, not hammering).
            state["ceiling"] = len(state["holders"]) + 1
            state["window"] = max(1.0, state["window"] / 2)
            state["slow_start"] = False
            state["decrease_seq"] = state["seq"]
    elif signals.status is not None and signals.status < 400 and not signals.has_headers:
        step = 1.0 if state["slow_start"] else 1.0 / max(1.0, state["window"])
        if state["window"] + 1 >= state.get("ceiling", math.inf):
            step /= PROBE_SLOWDOWN
        state["window"] = min(float(state["cap"]), state["window"] + step)


# ------------------------------------------------------------------ backends


@dataclass
class Permit:
    id: str
    key: str


class Backend(Protocol):
    def acquire(self, key: str, scope: Scope, tokens: int, timeout_s: float) -> Permit: ...

    def release(self, permit: Permit, signals: Signals) -> None: ...

    def snapshot(self, key: str) -> dict[str, Any]: ...


class MemoryBackend:
    """Threads of one process share state under one condition variable."""

    def __init__(self, cap: int, start: int, max_cooldown_s: float = 60.0) -> None:
        self.cap, self.start, self.max_cooldown_s = cap, start, max_cooldown_s
        self._cond = threading.Condition()
        self._states: dict[str, dict[str, Any]] = {}

    def _state(self, key: str) -> dict[str, Any]:
        return self._states.setdefault(key, new_state(self.cap, self.start, self.max_cooldown_s))

    def acquire(self, key: str, scope: Scope, tokens: int, timeout_s: float) -> Permit:
        wid = uuid.uuid4().hex
        deadline = time.monotonic() + timeout_s
        with self._cond:
            state = self._state(key)
            now = time.time()
            state["waiters"][wid] = {"job": scope.job, "prio": scope.priority, "at": now, "seen": now,
                                     "tokens": tokens}  # fmt: skip
            while True:
                now = time.time()
                state["waiters"].get(wid, {})["seen"] = now
                granted, wake = dispatch(state, now)
                if granted:
                    self._cond.notify_all()
                if wid in state["holders"]:
                    return Permit(wid, key)
                left = deadline - time.monotonic()
                if left <= 0:
                    state["waiters"].pop(wid, None)
                    raise httpx.PoolTimeout(f"no model call slot for {key} within {timeout_s:.0f} s")
                self._cond.wait(min(left, max(0.001, wake - now), 1.0))

    def release(self, permit: Permit, signals: Signals) -> None:
        with self._cond:
            state = self._state(permit.key)
            release(state, permit.id, signals, time.time())
            dispatch(state, time.time())
            self._cond.notify_all()

    def snapshot(self, key: str) -> dict[str, Any]:
        with self._cond:
            return json.loads(json.dumps(self._state(key)))


class RedisBackend:
    """Processes share one JSON state per model, changed in WATCH/MULTI transactions; a
    waiter blocks on its own grant list, pushed by whoever granted it."""

    PREFIX = "cs:llm-limit:"

    def __init__(self, url: str, cap: int, start: int, max_cooldown_s: float = 60.0) -> None:
        from redis import Redis

        self.cap, self.start, self.max_cooldown_s = cap, start, max_cooldown_s
        self._redis = Redis.from_url(url)

    def _transact(self, key: str, change: Any) -> Any:
        from redis.exceptions import WatchError

        name = self.PREFIX + key
        while True:
            with self._redis.pipeline() as pipe:
                try:
                    pipe.watch(name)
                    raw = pipe.get(name)
                    state = json.loads(raw) if raw else new_state(self.cap, self.start, self.max_cooldown_s)
                    state["cap"], state["max_cooldown_s"] = self.cap, self.max_cooldown_s
                    result = change(state, time.time())
                    granted, _ = dispatch(state, time.time())
                    pipe.multi()
                    pipe.set(name, json.dumps(state), ex=3600)
                    for gid in granted:
                        pipe.rpush(self.PREFIX + "grant:" + gid, 1)
                        pipe.expire(self.PREFIX + "grant:" + gid, 60)
                    pipe.execute()
                    return result, state
                except WatchError:
                    continue

    def acquire(self, key: str, scope: Scope, tokens: int, timeout_s: float) -> Permit:
        wid = uuid.uuid4().hex
        deadline = time.monotonic() + timeout_s
        grant_list = self.PREFIX + "grant:" + wid

        arrived = time.time()

        def enter(state: dict[str, Any], now: float) -> None:
            state["waiters"][wid] = {"job": scope.job, "prio": scope.priority, "at": arrived, "seen": now,
                                     "tokens": tokens}  # fmt: skip

        def look(state: dict[str, Any], now: float) -> bool:
            if wid in state["holders"]:
                return True
            if wid in state["waiters"]:
                state["waiters"][wid]["seen"] = now
            else:  # forgotten as stale: queue again, at the original place
                enter(state, now)
            return False

        _, state = self._transact(key, enter)
        while True:
            got, state = self._transact(key, look)
            if got:
                self._redis.delete(grant_list)
                return Permit(wid, key)
            left = deadline - time.monotonic()
            if left <= 0:
                self._transact(key, lambda s, now: self._leave(s, wid, now))
                raise httpx.PoolTimeout(f"no model call slot for {key} within {timeout_s:.0f} s")
            wake = _next_wake(state, time.time())
            wait = max(0.01, min(left, wake - time.time(), 1.0))
            self._redis.blpop([grant_list], timeout=wait)

    @staticmethod
    def _leave(state: dict[str, Any], wid: str, now: float) -> None:
        state["waiters"].pop(wid, None)
        if wid in state["holders"]:  # granted while we gave up
            release(state, wid, Signals(), now)

    def release(self, permit: Permit, signals: Signals) -> None:
        self._transact(permit.key, lambda s, now: release(s, permit.id, signals, now))

    def snapshot(self, key: str) -> dict[str, Any]:
        raw = self._redis.get(self.PREFIX + key)
        return json.loads(raw) if raw else new_state(self.cap, self.start, self.max_cooldown_s)

    def clear(self, key: str) -> None:
        self._redis.delete(self.PREFIX + key)


def _next_wake(state: dict[str, Any], now: float) -> float:
    moments = [state["cooldown_until"]]
    for name in ("req", "tok"):
        if state[name]:
            moments.append(state[name]["reset_at"])
    future = [m for m in moments if m > now]
    return min(future) if future else now + 1.0


# ------------------------------------------------------------------ the process-wide scheduler


class Scheduler:
    def __init__(
        self, backend: Backend, *, acquire_timeout_s: float, fallback: Backend | None = None
    ) -> None:
        self.backend = backend
        self.acquire_timeout_s = acquire_timeout_s
        # Redis unreachable: calls go on, limited within this process only, and say so;
        # Redis is tried again after SHARED_RETRY_S.
        self.fallback = fallback
        self._down_until = 0.0

    @contextlib.contextmanager
    def slot(self, key: str, tokens: int = 0) -> Iterator[list[Signals]]:
        """Hold a permit for one call; append the answer's Signals to the yielded list."""
        backend = self.backend
        if self.fallback is not None and time.monotonic() < self._down_until:
            backend = self.fallback
        try:
            permit = backend.acquire(key, current_scope(), tokens, self.acquire_timeout_s)
        except httpx.PoolTimeout:
            raise
        except Exception as exc:
            if self.fallback is None or backend is self.fallback:
                raise
            log.warning(
                "model-call limiter unreachable (%s); limiting within this process", type(exc).__name__
            )
            self._down_until = time.monotonic() + SHARED_RETRY_S
            backend = self.fallback
            permit = backend.acquire(key, current_scope(), tokens, self.acquire_timeout_s)
        report: list[Signals] = []
        try:
            yield report
        finally:
            try:
                backend.release(permit, report[-1] if report else Signals())
            except Exception as exc:  # the lease frees the slot; the answer must not be lost
                log.warning("model-call limiter release failed (%s)", type(exc).__name__)

    def snapshot(self, key: str) -> dict[str, Any]:
        return self.backend.snapshot(key)


def build_scheduler(settings: Settings) -> Scheduler | None:
    mode = settings.LLM_LIMITER
    if mode == "off":
        return None
    cap, start = settings.LLM_MAX_IN_FLIGHT, settings.LLM_START_IN_FLIGHT
    backend: Backend
    memory = MemoryBackend(cap, start, settings.HTTP_BACKOFF_MAX_S)
    fallback: Backend | None = None
    if mode == "redis" or (mode == "auto" and settings.REDIS_URL):
        if not settings.REDIS_URL:
            raise ValueError("LLM_LIMITER=redis needs REDIS_URL")
        backend, fallback = (
            RedisBackend(str(settings.REDIS_URL), cap, start, settings.HTTP_BACKOFF_MAX_S),
            memory,
        )
    else:
        backend = memory
    timeout = settings.HTTP_TIMEOUT_S * (settings.HTTP_RETRIES + 1) + settings.HTTP_BACKOFF_MAX_S
    return Scheduler(backend, acquire_timeout_s=max(timeout, 600.0), fallback=fallback)


_lock = threading.Lock()
_scheduler: Scheduler | None = None
_scheduler_settings: Settings | None = None


def get_scheduler() -> Scheduler | None:
    """The process's scheduler, rebuilt when the settings object changes (tests)."""
    global _scheduler, _scheduler_settings
    settings = get_settings()
    with _lock:
        if _scheduler_settings is not settings:
            _scheduler = build_scheduler(settings)
            _scheduler_settings = settings
        return _scheduler


def reset_scheduler() -> None:
    global _scheduler, _scheduler_settings
    _scheduler, _scheduler_settings = None, None


def _forget_after_fork() -> None:
    global _scheduler, _scheduler_settings, _lock
    _scheduler, _scheduler_settings, _lock = None, None, threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


def limit_key(request: httpx.Request) -> tuple[str, int] | None:
    """(host/model, estimated tokens) for a model call; None for anything else."""
    if request.method != "POST" or not request.url.path.endswith(MODEL_PATHS):
        return None
    body = request.content
    found = _MODEL_RX.search(body)
    if not found:
        return None
    # OpenAI counts a request against the token limit by its prompt's size plus its
    # max_tokens before it runs; estimate the same way (about 4 bytes per token).
    out = _MAX_TOKENS_RX.search(body)
    tokens = len(body) // 4 + (int(out.group(1)) if out else 0)
    return f"{request.url.netloc.decode()}/{found.group(1).decode(errors='replace')}", tokens


class ScheduledTransport(httpx.BaseTransport):
    """Every model-call attempt waits for a permit and reports what the answer said."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self._inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        scheduler = get_scheduler()
        found = limit_key(request) if scheduler is not None else None
        if scheduler is None or found is None:
            return self._inner.handle_request(request)
        key, tokens = found
        with scheduler.slot(key, tokens) as report:
            response = self._inner.handle_request(request)
            report.append(Signals.from_response(response.status_code, response.headers))
            return response

    def close(self) -> None:
        self._inner.close()
