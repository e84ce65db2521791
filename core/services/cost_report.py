"""A cost view as a flat table (group columns, figures, a totals row) and as CSV or
Parquet bytes: what the Costs page downloads and `python -m core costs` prints."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from sqlmodel import Session

from core.auth import Actor, Can, require
from core.services.analytics import CostFilter, Metrics, grouped, totals

TOTAL = "total"


def _figures(metrics: Metrics) -> dict[str, Any]:
    return {
        **asdict(metrics),
        "cache_ratio": round(metrics.cache_ratio, 4),
        "waste_share": round(metrics.waste_share, 4),
    }


def report_rows(
    session: Session,
    flt: CostFilter,
    by: Sequence[str],
    *,
    actor: Actor,
    with_total: bool = True,
    tot: Metrics | None = None,
) -> list[dict[str, Any]]:
    """One dict per group, columns named after the groupings, then the totals row."""
    require(actor, Can.read_costs)
    rows = [{**dict(zip(by, r.keys, strict=True)), **_figures(r.metrics)} for r in grouped(session, flt, by)]
    if with_total:
        rows.append(total_row(by, tot or totals(session, flt)))
    return rows


def total_row(by: Sequence[str], tot: Metrics) -> dict[str, Any]:
    """The totals row of a table grouped `by`: "total" under the first grouping."""
    return {**dict.fromkeys(by, ""), by[0]: TOTAL, **_figures(tot)}


def export_table(rows: list[dict[str, Any]], *, fmt: str, actor: Actor) -> bytes:
    """A cost table as a file: analysts and admins take the data out, others only read it."""
    require(actor, Can.export_costs)
    if fmt == "parquet":
        return to_parquet(rows)
    if fmt == "csv":
        return to_csv(rows)
    raise ValueError(f"unknown export format {fmt!r}")


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    if not rows:
        return b""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        # A spreadsheet runs a cell that starts with = + - @ as a formula: quote it as text.
        writer.writerow({k: _safe_cell(v) for k, v in row.items()})
    return out.getvalue().encode("utf-8")


def _safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_parquet(rows: list[dict[str, Any]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist(rows)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()
