"""Cost analytics over llm_calls: composable filters, one or two groupings, unit costs,
waste and cache savings. Every figure is aggregated in SQL (a year of a busy team is a
million rows); Python only labels and arranges the few result rows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, get_args

from sqlalchemy import ColumnElement, and_, case, func, insert, literal, or_, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.db import rowcount
from core.errors import InvalidInput
from core.llm.budget import STARTED
from core.llm.pricing import Price, price_for
from core.models import Course, EvalRun, Job, Lesson, LLMCall, LLMCallRollup, RollupState
from core.services.costs import max_call_seconds

Dimension = Literal[
    "day", "week", "month", "course", "model", "prompt_version", "step", "job_kind", "user", "outcome"
]
DIMENSIONS: tuple[Dimension, ...] = get_args(Dimension)
TIME_DIMENSIONS: frozenset[str] = frozenset({"day", "week", "month"})
Preset = Literal["today", "7d", "30d", "month", "all", "custom"]
PRESETS: tuple[Preset, ...] = get_args(Preset)
# Outcomes that bought nothing usable on their own: the answer failed, was refused, or
# was invalid and had to be remediated (or ended as a draft).
WASTE_OUTCOMES: tuple[str, ...] = ("error", "refused", "invalid", "unknown")


@dataclass(frozen=True)
class CostFilter:
    """What an analyst narrowed the view to; empty tuples mean "any"."""

    start: date | None = None  # inclusive, UTC day
    end: date | None = None  # inclusive, UTC day
    course_ids: tuple[int, ...] = ()
    models: tuple[str, ...] = ()
    prompt_ids: tuple[str, ...] = ()
    prompt_versions: tuple[str, ...] = ()  # "prompt@version"
    steps: tuple[str, ...] = ()
    job_kinds: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.start and self.end and self.start > self.end:
            _invalid(
                {"start": f"the range starts ({self.start}) after it ends ({self.end})"},
                {"start": ("range_reversed", {"start": str(self.start), "end": str(self.end)})},
            )

    def to_query(self) -> dict[str, str]:
        """A flat mapping for a URL query, so a view can be shared as a link."""
        out: dict[str, str] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, date):
                out[f.name] = value.isoformat()
            elif value:
                out[f.name] = ",".join(str(v) for v in value)
        return out

    @classmethod
    def from_query(cls, query: dict[str, str]) -> CostFilter:
        """The inverse of to_query; unknown keys are ignored, bad values are refused."""
        kwargs: dict[str, Any] = {}
        problems: dict[str, str] = {}
        kinds: dict[str, tuple[str, dict[str, str]]] = {}
        for f in fields(cls):
            raw = (query.get(f.name) or "").strip()
            if not raw:
                continue
            if f.name in ("start", "end"):
                try:
                    kwargs[f.name] = date.fromisoformat(raw)
                except ValueError:
                    problems[f.name] = f"not a date (YYYY-MM-DD): {raw!r}"
                    kinds[f.name] = ("date_invalid", {"value": raw})
            elif f.name == "course_ids":
                try:
                    kwargs[f.name] = tuple(int(v) for v in raw.split(",") if v)
                except ValueError:
                    problems[f.name] = f"not a list of course numbers: {raw!r}"
                    kinds[f.name] = ("ids_invalid", {"value": raw})
            else:
                kwargs[f.name] = tuple(v for v in raw.split(",") if v)
        if problems:
            _invalid(problems, kinds)
        return cls(**kwargs)


def _invalid(problems: dict[str, str], kinds: dict[str, tuple[str, dict[str, str]]] | None = None) -> None:
    # `kinds` (issue-12): an error type and its values, so the UI says it in its language.
    typed = kinds or {}
    raise InvalidInput(
        "cost view filters are invalid: " + "; ".join(f"{k}: {v}" for k, v in problems.items()),
        [
            {"field": k, "message": v, **({"type": typed[k][0], "ctx": typed[k][1]} if k in typed else {})}
            for k, v in problems.items()
        ],
    )


def preset_range(preset: Preset, today: date | None = None) -> tuple[date | None, date | None]:
    today = today or datetime.now(UTC).date()
    if preset == "today":
        return today, today
    if preset == "7d":
        return today - timedelta(days=6), today
    if preset == "30d":
        return today - timedelta(days=29), today
    if preset == "month":
        return today.replace(day=1), today
    return None, None


@dataclass(frozen=True)
class Metrics:
    calls: int = 0
    failed_calls: int = 0
    remediated_calls: int = 0
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    waste_usd: float = 0.0
    avg_latency_ms: float = 0.0

    @property
    def cache_ratio(self) -> float:
        return self.cached_tokens / self.input_tokens if self.input_tokens else 0.0

    @property
    def waste_share(self) -> float:
        return self.waste_usd / self.cost_usd if self.cost_usd else 0.0


@dataclass(frozen=True)
class GroupRow:
    keys: tuple[str, ...]  # readable labels, one per grouping
    metrics: Metrics

    def as_dict(self, by: Sequence[str]) -> dict[str, Any]:
        return {**dict(zip(by, self.keys, strict=True)), **asdict(self.metrics)}


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _db_url(session: Session) -> str:
    """Whose admin prices count: the database the session reads."""
    return session.get_bind().url.render_as_string(hide_password=False)


# A call is `started` while in flight; one still `started` after the longest a call can
# take was cut off by a crash: it is final, as `unknown`, at its estimated (worst) cost.
_FINAL_WAIT = STARTED


def _day_of(session: Session, column: Any) -> Any:
    if _dialect(session) == "postgresql":
        # Bucket in UTC whatever the session's time zone is.
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    # SQLite stores "YYYY-MM-DD HH:MM:SS...": cutting the text is the cheapest bucket.
    return func.substr(column, 1, 10)


def _call_columns(session: Session) -> tuple[list[Any], list[Any]]:
    """llm_calls in the rollup's shape, one row per call."""
    started = col(LLMCall.outcome) == STARTED
    lost = and_(started, col(LLMCall.created_at) < _stale_cutoff())
    outcome = case((lost, literal("unknown")), else_=col(LLMCall.outcome))
    failed = and_(col(LLMCall.outcome) != "ok", or_(~started, lost))
    return [
        _day_of(session, LLMCall.created_at).label("day"),
        col(LLMCall.job_id).label("job_id"),
        col(LLMCall.course_id).label("course_id"),
        col(LLMCall.provider).label("provider"),
        col(LLMCall.model).label("model"),
        col(LLMCall.prompt_id).label("prompt_id"),
        col(LLMCall.prompt_version).label("prompt_version"),
        col(LLMCall.step).label("step"),
        outcome.label("outcome"),
    ], [
        literal(1).label("calls"),
        case((failed, 1), else_=0).label("failed_calls"),
        case((col(LLMCall.remediation), 1), else_=0).label("remediated_calls"),
        col(LLMCall.input_tokens).label("input_tokens"),
        col(LLMCall.cached_tokens).label("cached_tokens"),
        col(LLMCall.output_tokens).label("output_tokens"),
        case((lost, col(LLMCall.estimated_cost_usd)), else_=col(LLMCall.cost_usd)).label("cost_usd"),
        col(LLMCall.latency_ms).label("latency_ms_sum"),
    ]


def _stale_cutoff() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=max_call_seconds())


_KEYS = ("day", "job_id", "course_id", "provider", "model", "prompt_id", "prompt_version", "step", "outcome")
_SUMS = (
    "calls",
    "failed_calls",
    "remediated_calls",
    "input_tokens",
    "cached_tokens",
    "output_tokens",
    "cost_usd",
    "latency_ms_sum",
)


def _final_ids(session: Session) -> int:
    """The largest id below which every call is final (none still in flight)."""
    cutoff = _stale_cutoff()
    pending = session.exec(
        select(func.min(col(LLMCall.id))).where(
            col(LLMCall.outcome) == _FINAL_WAIT, col(LLMCall.created_at) > cutoff
        )
    ).one()
    if pending is not None:
        return int(pending) - 1
    return int(session.exec(select(func.max(col(LLMCall.id)))).one() or 0)


def refresh_rollup(session: Session) -> int:
    """Fold calls past the watermark into the daily rollup; returns how many were folded.

    Safe under concurrent refreshers: the watermark moves with a conditional UPDATE in the
    same transaction as the insert, so a loser rolls back instead of counting twice.
    """
    state = session.get(RollupState, 1)
    if state is None:  # the first refresh creates it; a concurrent first refresh loses the insert
        try:
            with session.begin_nested():
                session.add(RollupState(id=1, watermark=0))
        except IntegrityError:
            pass
        state = session.get(RollupState, 1)
        assert state is not None
    old = state.watermark
    new = _final_ids(session)
    if new <= old:
        return 0
    keys, sums = _call_columns(session)
    source = select(*keys, *sums).where(col(LLMCall.id) > old, col(LLMCall.id) <= new).subquery()
    grouped = select(
        *[source.c[k] for k in _KEYS],
        *[func.sum(source.c[k]) for k in _SUMS],
    ).group_by(*[source.c[k] for k in _KEYS])
    session.execute(insert(LLMCallRollup).from_select([*_KEYS, *_SUMS], grouped))
    moved = session.execute(
        update(RollupState)
        .where(col(RollupState.id) == 1, col(RollupState.watermark) == old)
        .values(watermark=new, refreshed_at=datetime.now(UTC))
    )
    if rowcount(moved) != 1:  # another refresher got there first
        session.rollback()
        return 0
    session.flush()
    return new - old


def _watermark(session: Session) -> int:
    state = session.get(RollupState, 1)
    return state.watermark if state is not None else 0


def _source(session: Session) -> Any:
    """The rollup up to the watermark plus the live calls past it, filtered."""
    wm = _watermark(session)
    rollup = select(*[getattr(LLMCallRollup, k).label(k) for k in (*_KEYS, *_SUMS)])
    keys, sums = _call_columns(session)
    tail = select(*keys, *sums).where(col(LLMCall.id) > wm)
    return union_all(rollup, tail).subquery("calls")


def _bucket(session: Session, src: Any, dim: str) -> ColumnElement[Any]:
    day = src.c.day
    if dim == "day":
        return day
    if dim == "month":
        return func.substr(day, 1, 7)
    if _dialect(session) == "postgresql":
        return func.to_char(func.date_trunc("week", func.to_date(day, "YYYY-MM-DD")), "YYYY-MM-DD")
    return func.date(day, "-6 days", "weekday 1")  # the Monday of its week


def _user_column() -> Any:
    return func.coalesce(col(Job.started_by), literal("(unknown)"))


def _dimension(session: Session, src: Any, dim: str) -> list[ColumnElement[Any]]:
    if dim in TIME_DIMENSIONS:
        return [_bucket(session, src, dim)]
    return {
        "course": [src.c.course_id],
        "model": [src.c.model],
        "prompt_version": [src.c.prompt_id, src.c.prompt_version],
        "step": [src.c.step],
        "job_kind": [func.coalesce(col(Job.kind), literal("(none)"))],
        "user": [_user_column()],
        "outcome": [src.c.outcome],
        "provider": [src.c.provider],
    }[dim]


def _needs_jobs(flt: CostFilter, dims: Sequence[str]) -> bool:
    return bool(flt.job_kinds or flt.users) or any(d in ("job_kind", "user") for d in dims)


def _where(src: Any, flt: CostFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    # Days are ISO text, so a text comparison is a date comparison.
    if flt.start:
        conds.append(src.c.day >= flt.start.isoformat())
    if flt.end:
        conds.append(src.c.day <= flt.end.isoformat())
    simple = {
        "course_ids": "course_id",
        "models": "model",
        "prompt_ids": "prompt_id",
        "steps": "step",
        "outcomes": "outcome",
        "providers": "provider",
    }
    for name, column in simple.items():
        values = getattr(flt, name)
        if values:
            conds.append(src.c[column].in_(values))
    if flt.prompt_versions:
        pairs = [tuple(v.split("@", 1)) for v in flt.prompt_versions if "@" in v]
        conds.append(
            or_(*[and_(src.c.prompt_id == p, src.c.prompt_version == v) for p, v in pairs])
            if pairs
            else literal(False)
        )
    if flt.job_kinds:
        conds.append(col(Job.kind).in_(flt.job_kinds))
    if flt.users:
        conds.append(_user_column().in_(flt.users))
    return conds


_metric_columns_names = (
    "calls",
    "failed_calls",
    "remediated_calls",
    "input_tokens",
    "cached_tokens",
    "output_tokens",
    "cost_usd",
    "waste_usd",
    "latency_ms_sum",
)


def _metric_columns(src: Any) -> list[ColumnElement[Any]]:
    return [
        func.sum(src.c.calls),
        func.sum(src.c.failed_calls),
        func.sum(src.c.remediated_calls),
        func.sum(src.c.input_tokens),
        func.sum(src.c.cached_tokens),
        func.sum(src.c.output_tokens),
        func.sum(src.c.cost_usd),
        func.sum(case((src.c.outcome.in_(WASTE_OUTCOMES), src.c.cost_usd), else_=0.0)),
        func.sum(src.c.latency_ms_sum),
    ]


def _metrics(values: Sequence[Any]) -> Metrics:
    calls, failed, remediated, tin, tcached, tout, usd, waste, latency_sum = values
    calls = int(calls or 0)
    return Metrics(
        calls=calls,
        failed_calls=int(failed or 0),
        remediated_calls=int(remediated or 0),
        input_tokens=int(tin or 0),
        cached_tokens=int(tcached or 0),
        output_tokens=int(tout or 0),
        cost_usd=round(float(usd or 0.0), 6),
        waste_usd=round(float(waste or 0.0), 6),
        avg_latency_ms=round(float(latency_sum or 0.0) / calls, 1) if calls else 0.0,
    )


def _query(session: Session, flt: CostFilter, dims: Sequence[str], columns: Any) -> tuple[Any, Any]:
    """`columns(src)` -> the select list; returns the filtered query and its source."""
    src = _source(session)
    query = select(*columns(src)).select_from(src)
    if _needs_jobs(flt, dims):
        query = query.outerjoin(Job, col(Job.id) == src.c.job_id)
    conds = _where(src, flt)
    return (query.where(*conds) if conds else query), src


def _check_dims(by: Sequence[str]) -> None:
    if not 1 <= len(by) <= 2 or len(set(by)) != len(by):
        _invalid({"group_by": "choose one or two different groupings"})
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown:
        _invalid({"group_by": f"unknown grouping {', '.join(unknown)}; one of {', '.join(DIMENSIONS)}"})


def totals(session: Session, flt: CostFilter) -> Metrics:
    query, _ = _query(session, flt, (), _metric_columns)
    return _metrics(tuple(session.exec(query).one()))


def grouped(session: Session, flt: CostFilter, by: Sequence[str]) -> list[GroupRow]:
    """One row per group; time groupings sort by time, others most expensive first."""
    _check_dims(by)
    holder: dict[str, Any] = {}

    def columns(src: Any) -> list[Any]:
        key_cols: list[Any] = []
        widths: list[int] = []
        for dim in by:
            cols = _dimension(session, src, dim)
            key_cols += cols
            widths.append(len(cols))
        holder["keys"], holder["widths"] = key_cols, widths
        return [*key_cols, *_metric_columns(src)]

    query, _ = _query(session, flt, by, columns)
    raw = session.exec(query.group_by(*holder["keys"])).all()
    titles = _course_titles(session) if "course" in by else {}
    rows: list[GroupRow] = []
    for row in raw:
        values = tuple(row)
        labels: list[str] = []
        at = 0
        for dim, width in zip(by, holder["widths"], strict=True):
            labels.append(_label(dim, values[at : at + width], titles))
            at += width
        rows.append(GroupRow(keys=tuple(labels), metrics=_metrics(values[at:])))
    if by[0] in TIME_DIMENSIONS:
        rows.sort(key=lambda r: (r.keys[0], -r.metrics.cost_usd))
    else:
        rows.sort(key=lambda r: (-r.metrics.cost_usd, r.keys))
    return rows


def _course_titles(session: Session) -> dict[int, str]:
    return {int(i): t for i, t in session.exec(select(Course.id, Course.title)).all() if i is not None}


def _label(dim: str, parts: Sequence[Any], titles: dict[int, str]) -> str:
    if dim == "course":
        ident = parts[0]
        return f"#{ident} {titles.get(int(ident), '')}".strip() if ident is not None else "(no course)"
    if dim == "prompt_version":
        return f"{parts[0]}@{parts[1]}"
    value = parts[0]
    return "" if value is None else str(value)


# ---------------------------------------------------------------- unit economics


@dataclass(frozen=True)
class UnitCosts:
    finished_courses: int
    cost_per_course: float | None
    lessons_written: int
    cost_per_lesson: float | None
    decks_made: int
    cost_per_deck: float | None
    course_minutes: int
    cost_per_minute: float | None
    cache_ratio: float
    cache_saved_usd: float
    waste_usd: float
    waste_share: float
    waste_by_outcome: dict[str, float] = field(default_factory=dict)


def _per(cost: float, count: int) -> float | None:
    return round(cost / count, 6) if count else None


def unit_costs(session: Session, flt: CostFilter, tot: Metrics | None = None) -> UnitCosts:
    """What a course, a lesson, a deck and a minute of course time cost in the view (see
    `overview`; `tot` is accepted for callers that have it, the overview recomputes it in
    the same scan)."""
    return overview(session, flt)[1]


_UNIT_STEPS = ("lesson", "slides")


def _overview_columns(src: Any) -> list[Any]:
    """The totals, each unit step's cost and accepted answers, and the waste per outcome:
    one scan of the view instead of one per figure."""
    ok = src.c.outcome == "ok"
    cols = _metric_columns(src)
    for step in _UNIT_STEPS:
        cols.append(func.sum(case((src.c.step == step, src.c.cost_usd), else_=0.0)))
        cols.append(func.sum(case((and_(src.c.step == step, ok), src.c.calls), else_=0)))
    for outcome in WASTE_OUTCOMES:
        cols.append(func.sum(case((src.c.outcome == outcome, src.c.cost_usd), else_=0.0)))
        cols.append(func.sum(case((src.c.outcome == outcome, src.c.calls), else_=0)))
    return cols


def overview(
    session: Session, flt: CostFilter, *, model_days: list[tuple[Any, ...]] | None = None
) -> tuple[Metrics, UnitCosts]:
    """The view's totals and unit economics in three queries (overview, per course, the
    finished courses' lessons) plus the cache savings (from `model_days` when given).

    A lesson or deck is an answer that was accepted (an `ok` call of that step); a course
    is one in the view whose lessons are all written, priced at what the view spent on it.
    """
    query, _ = _query(session, flt, (), _overview_columns)
    values = tuple(session.exec(query).one())
    width = len(_metric_columns_names)
    tot = _metrics(values[:width])
    rest = values[width:]
    per_step = {
        step: (float(rest[2 * i] or 0.0), int(rest[2 * i + 1] or 0)) for i, step in enumerate(_UNIT_STEPS)
    }
    rest = rest[2 * len(_UNIT_STEPS) :]
    waste_by_outcome = {
        outcome: round(float(rest[2 * i] or 0.0), 6)
        for i, outcome in enumerate(WASTE_OUTCOMES)
        if int(rest[2 * i + 1] or 0)
    }
    lesson_cost, lessons = per_step["lesson"]
    deck_cost, decks = per_step["slides"]
    query, src = _query(session, flt, (), lambda src: [src.c.course_id, func.sum(src.c.cost_usd)])
    per_course = {
        int(c): float(usd or 0.0)
        for c, usd in session.exec(query.where(src.c.course_id.is_not(None)).group_by(src.c.course_id)).all()
    }
    finished, minutes = _finished_courses(session, list(per_course))
    finished_cost = sum(per_course[c] for c in finished)
    units = UnitCosts(
        finished_courses=len(finished),
        cost_per_course=_per(finished_cost, len(finished)),
        lessons_written=lessons,
        cost_per_lesson=_per(lesson_cost, lessons),
        decks_made=decks,
        cost_per_deck=_per(deck_cost, decks),
        course_minutes=minutes,
        cost_per_minute=_per(finished_cost, minutes),
        cache_ratio=round(tot.cache_ratio, 4),
        cache_saved_usd=cache_savings(session, flt, model_days=model_days),
        waste_usd=tot.waste_usd,
        waste_share=round(tot.waste_share, 4),
        waste_by_outcome=waste_by_outcome,
    )
    return tot, units


def _finished_courses(session: Session, course_ids: list[int]) -> tuple[list[int], int]:
    if not course_ids:
        return [], 0
    rows = session.exec(
        select(
            col(Lesson.course_id),
            func.count(col(Lesson.id)),
            func.sum(case((col(Lesson.detail_status) == "written", 1), else_=0)),
            func.sum(Lesson.duration_minutes),
        )
        .where(col(Lesson.course_id).in_(course_ids))
        .group_by(col(Lesson.course_id))
    ).all()
    finished = [int(c) for c, n, written, _ in rows if n and int(written or 0) == int(n)]
    minutes = sum(int(m or 0) for c, _, _, m in rows if int(c) in finished)
    return finished, minutes


def model_day_tokens(session: Session, flt: CostFilter) -> list[tuple[Any, ...]]:
    """(model, day, input, cached, output, cost) summed in SQL: a few rows per model and
    day, from which the cache savings (at each day's price) and the reprice are read."""

    def columns(src: Any) -> list[Any]:
        return [
            src.c.model,
            src.c.day,
            func.sum(src.c.input_tokens),
            func.sum(src.c.cached_tokens),
            func.sum(src.c.output_tokens),
            func.sum(src.c.cost_usd),
        ]

    query, src = _query(session, flt, (), columns)
    return [tuple(r) for r in session.exec(query.group_by(src.c.model, src.c.day)).all()]


def cache_savings(
    session: Session, flt: CostFilter, *, model_days: list[tuple[Any, ...]] | None = None
) -> float:
    """What cached input tokens saved against the full input price, at each day's price."""
    saved = 0.0
    db_url = _db_url(session)
    for model, day, _tin, cached, _tout, _usd in (
        model_days if model_days is not None else model_day_tokens(session, flt)
    ):
        price = price_for(model, date.fromisoformat(day), db_url=db_url) if cached else None
        if price is not None:
            saved += int(cached) * (price.input - price.cached_input) / 1_000_000
    return round(saved, 6)


@dataclass(frozen=True)
class Repriced:
    model: str
    recorded_usd: float
    today_usd: float | None  # None: no price known today


def reprice(
    session: Session,
    flt: CostFilter,
    prices: dict[str, Price] | None = None,
    on: date | None = None,
    *,
    model_days: list[tuple[Any, ...]] | None = None,
) -> list[Repriced]:
    """What the view would cost at today's prices (or those in effect on `on`, a price an
    admin scheduled included); the recorded costs stay as they are."""
    # The per-day rows are already summed in SQL; adding up a model's days here saves the
    # view a scan when the page has them anyway.
    per_model: dict[str, list[float]] = {}
    for model, _day, tin, cached, tout, usd in (
        model_days if model_days is not None else model_day_tokens(session, flt)
    ):
        sums = per_model.setdefault(model, [0, 0, 0, 0.0])
        sums[0] += int(tin or 0)
        sums[1] += int(cached or 0)
        sums[2] += int(tout or 0)
        sums[3] += float(usd or 0.0)
    out = []
    db_url = _db_url(session)
    for model, (tin, cached, tout, usd) in per_model.items():
        price = (prices or {}).get(model) or price_for(model, on, db_url=db_url)
        today = None
        if price is not None:
            today = round(
                ((tin - cached) * price.input + cached * price.cached_input + tout * price.output) / 1e6, 6
            )
        out.append(Repriced(model=model, recorded_usd=round(usd, 6), today_usd=today))
    return sorted(out, key=lambda r: -r.recorded_usd)


# ---------------------------------------------------------------- budgets and top jobs


@dataclass(frozen=True)
class JobSpend:
    job_id: int
    kind: str
    course_id: int | None
    course_title: str
    status: str
    cost_usd: float
    calls: int
    budget_usd: float | None

    @property
    def budget_used(self) -> float | None:
        return self.cost_usd / self.budget_usd if self.budget_usd else None


def _job_spend(session: Session, flt: CostFilter) -> Any:
    def columns(src: Any) -> list[Any]:
        return [
            src.c.job_id.label("job_id"),
            func.sum(src.c.cost_usd).label("cost"),
            func.sum(src.c.calls).label("calls"),
        ]

    query, src = _query(session, flt, (), columns)
    return query.where(src.c.job_id.is_not(None)).group_by(src.c.job_id)


def _ranked(spend: Any, limit: int, budgeted_only: bool, which: int) -> Any:
    budget = col(Job.payload)["budget_usd"].as_float()
    ranked = (
        select(
            literal(which).label("which"),
            spend.c.job_id,
            col(Job.kind).label("kind"),
            col(Job.course_id).label("course_id"),
            col(Job.status).label("status"),
            spend.c.cost,
            spend.c.calls,
            budget.label("budget"),
        )
        .join(Job, col(Job.id) == spend.c.job_id)
        .order_by(spend.c.cost.desc(), spend.c.job_id)
        .limit(limit)
    )
    return ranked.where(budget.is_not(None)) if budgeted_only else ranked


def _job_rows(session: Session, rows: Sequence[Any]) -> list[JobSpend]:
    titles = _course_titles(session) if rows else {}
    return [
        JobSpend(
            job_id=int(job_id),
            kind=kind,
            course_id=course_id,
            course_title=titles.get(int(course_id), "") if course_id is not None else "",
            status=str(status),
            cost_usd=round(float(usd or 0.0), 6),
            calls=int(calls or 0),
            budget_usd=_finite(cap),
        )
        for job_id, kind, course_id, status, usd, calls, cap in rows
    ]


def top_jobs(
    session: Session, flt: CostFilter, *, limit: int = 10, budgeted_only: bool = False
) -> list[JobSpend]:
    """The most expensive jobs in the view (or its budgeted jobs), with their budgets."""
    spend = _job_spend(session, flt).subquery("spend")
    rows = session.exec(_ranked(spend, limit, budgeted_only, 0)).all()
    return _job_rows(session, [tuple(r)[1:] for r in rows])


def top_and_budgeted(
    session: Session, flt: CostFilter, *, limit: int = 10, budget_limit: int = 50
) -> tuple[list[JobSpend], list[JobSpend]]:
    """`top_jobs` and its budgeted-only list in one round trip: the spend per job is a
    common table expression both lists read (materialized once by SQLite and PostgreSQL)."""
    spend = _job_spend(session, flt).cte("spend")
    both = union_all(
        select(_ranked(spend, limit, False, 0).subquery()),
        select(_ranked(spend, budget_limit, True, 1).subquery()),
    )
    rows = [tuple(r) for r in session.exec(both).all()]  # type: ignore[call-overload]
    rows.sort(key=lambda r: (r[0], -float(r[5] or 0.0), r[1]))
    return (
        _job_rows(session, [r[1:] for r in rows if r[0] == 0]),
        _job_rows(session, [r[1:] for r in rows if r[0] == 1]),
    )


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def data_version(session: Session) -> tuple[int, int]:
    """Changes whenever a call is recorded or finishes: the cache key for every figure.

    Two index lookups (the primary key, and the outcome index over calls in flight), never
    a scan: the page asks this on every rerun."""
    last_id = session.exec(select(func.max(col(LLMCall.id)))).one()
    in_flight = session.exec(select(func.count()).where(col(LLMCall.outcome) == _FINAL_WAIT)).one()
    return int(last_id or 0), int(in_flight or 0)


def filter_options(session: Session) -> dict[str, list[str]]:
    """The values each filter can take, for the page's pickers: one grouped scan of the
    rollup (a few dozen combinations) instead of one DISTINCT scan per picker."""
    names = ("model", "prompt_id", "prompt_version", "step", "outcome", "provider")
    query, src = _query(session, CostFilter(), (), lambda src: [src.c[n] for n in names])
    combos = session.exec(query.group_by(*[src.c[n] for n in names])).all()

    def values(i: int) -> list[str]:
        return sorted({str(c[i]) for c in combos if c[i] is not None})

    return {
        "models": values(0),
        "prompt_ids": values(1),
        "prompt_versions": sorted({f"{c[1]}@{c[2]}" for c in combos}),
        "steps": values(3),
        "job_kinds": sorted(str(k) for k in session.exec(select(Job.kind).distinct()).all()),
        "outcomes": values(4),
        "providers": values(5),
        "users": sorted(str(u) for u in session.exec(select(_user_column()).distinct()).all()),
    }


# ---------------------------------------------------------------- quality per dollar

QUALITY_SCORES = ("schema_validity", "field_completeness", "constraint_adherence")


@dataclass(frozen=True)
class PromptQuality:
    prompt_version: str  # "prompt@version"
    calls: int
    cost_usd: float
    cost_per_call: float | None
    tokens_per_call: float | None
    eval_provider: str | None  # the latest evaluation of this version, if any
    scores: dict[str, float] = field(default_factory=dict)


def prompt_quality(session: Session, flt: CostFilter) -> list[PromptQuality]:
    """Cost and tokens per prompt version next to that version's latest evaluation."""
    runs: dict[tuple[str, str], EvalRun] = {}
    for run in session.exec(select(EvalRun).order_by(col(EvalRun.id))).all():
        version = str((run.report or {}).get("version") or run.target.rsplit("@", 1)[-1])
        runs[(run.prompt_id, version)] = run  # later runs replace earlier ones
    out = []
    for row in grouped(session, flt, ("prompt_version",)):
        prompt_id, _, version = row.keys[0].partition("@")
        m = row.metrics
        run = runs.get((prompt_id, version))
        scores = {k: float(run.scores[k]) for k in QUALITY_SCORES if run is not None and k in run.scores}
        out.append(
            PromptQuality(
                prompt_version=row.keys[0],
                calls=m.calls,
                cost_usd=m.cost_usd,
                cost_per_call=_per(m.cost_usd, m.calls),
                tokens_per_call=round((m.input_tokens + m.output_tokens) / m.calls, 1) if m.calls else None,
                eval_provider=run.provider if run is not None else None,
                scores=scores,
            )
        )
    return out
