"""Targets and baselines per channel scope × period × metric, prorated to any date range.

Additive targets (revenue, orders) are prorated by the days of each target
period that fall in the range and need the range fully covered; ratio targets
(conversion rate, AOV, margin threshold) are the day-weighted mean of the
target periods that overlap it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
from sqlalchemy import delete, select

from analytics.cache import TARGETS_STAMP, memoise, renew_stamps
from analytics.errors import AnalyticsError
from analytics.metrics import get_metric
from analytics.periods import Period
from db import audit
from db.engine import get_engine
from db.frames import read_frame
from db.schema import ChannelCategory, Target, Touchpoint
from db.upsert import upsert

target = Target.__table__
SCOPE_TYPES = ("total", "category", "touchpoint")


def scope_id(scope_type: str, code: str | None, url: str | None = None) -> int:
    """The id a target row stores for a scope (0 for the total)."""
    if scope_type == "total":
        return 0
    table = {"category": ChannelCategory, "touchpoint": Touchpoint}[scope_type].__table__
    with get_engine(url).connect() as conn:
        found = conn.execute(select(table.c.id).where(table.c.code == code)).scalar()
    if found is None:
        raise ValueError(f"unknown {scope_type} {code!r}")
    return found


@memoise(periods=lambda arguments: (), stamps=(TARGETS_STAMP,))
def load_targets(
    metric: str | tuple[str, ...], period: Period, url: str | None = None
) -> pd.DataFrame:
    """Target rows of a metric (or several) overlapping the period:
    metric, scope_type, scope_id, period_start, period_end, value."""
    metrics = (metric,) if isinstance(metric, str) else metric
    query = select(
        target.c.metric,
        target.c.scope_type,
        target.c.scope_id,
        target.c.period_start,
        target.c.period_end,
        target.c.value,
    ).where(
        target.c.metric.in_(metrics),
        target.c.period_start <= period.end,
        target.c.period_end >= period.start,
    )
    with get_engine(url).connect() as conn:
        frame = read_frame(conn, query)
    if frame.empty:
        return pd.DataFrame(
            columns=["scope_type", "scope_id", "period_start", "period_end", "value"]
        )
    frame["value"] = frame["value"].astype(float)
    for column in ("period_start", "period_end"):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


def prorate(rows: pd.DataFrame, metric: str, period: Period) -> float | None:
    """One scope's target for the period, from its overlapping target rows."""
    if rows.empty:
        return None
    # A few rows per scope: plain Python over them costs a fraction of pandas operations.
    spans = list(zip(rows["period_start"].to_list(), rows["period_end"].to_list(), strict=True))
    overlap = np.array([(min(e, period.end) - max(s, period.start)).days + 1 for s, e in spans])
    length = np.array([(e - s).days + 1 for s, e in spans])
    values = rows["value"].to_numpy(dtype="float64")
    if get_metric(metric).is_ratio:
        return float((values * overlap).sum() / overlap.sum())
    if overlap.sum() < period.days:
        return None
    return float((values * overlap / length).sum())


def target_for(
    metric: str, period: Period, scope_type: str = "total", scope: int = 0, url: str | None = None
) -> float | None:
    rows = load_targets(metric, period, url)
    if rows.empty:
        return None
    mine = rows[(rows["scope_type"] == scope_type) & (rows["scope_id"] == scope)]
    return prorate(mine, metric, period)


def targets_for(
    metrics: tuple[str, ...],
    period: Period,
    scope_type: str = "total",
    scope: int = 0,
    url: str | None = None,
) -> dict[str, float | None]:
    """``target_for`` of several metrics with one query."""
    rows = load_targets(metrics, period, url)
    mine = rows[(rows["scope_type"] == scope_type) & (rows["scope_id"] == scope)]
    return {m: prorate(mine[mine["metric"] == m], m, period) for m in metrics}


def targets_by_scope(
    metric: str, period: Period, scope_type: str, url: str | None = None
) -> dict[int, float]:
    """Prorated targets of every scope of one type (e.g. each category)."""
    rows = load_targets(metric, period, url)
    rows = rows[rows["scope_type"] == scope_type]
    result = {}
    for scope, group in rows.groupby("scope_id"):
        value = prorate(group, metric, period)
        if value is not None:
            result[int(scope)] = value
    return result


TARGET_COLUMNS = ("scope_type", "scope_code", "metric", "period_start", "period_end", "value")


def import_targets(frame: pd.DataFrame, actor: str, url: str | None = None) -> int:
    """Set many targets at once (from the app, a CSV or the demo); audited in one transaction.

    Rows are validated first and nothing is written if any row is bad; the
    error names the row and the problem.
    """
    missing = [c for c in TARGET_COLUMNS if c not in frame.columns]
    if missing:
        raise AnalyticsError(f"target file lacks columns {missing}")
    engine = get_engine(url)
    with engine.connect() as conn:
        ids = {
            "category": dict(conn.execute(select(ChannelCategory.code, ChannelCategory.id)).all()),
            "touchpoint": dict(conn.execute(select(Touchpoint.code, Touchpoint.id)).all()),
        }
    rows = []
    for number, row in enumerate(frame.itertuples(index=False), start=2):
        where = f"row {number}"
        if row.scope_type not in SCOPE_TYPES:
            raise AnalyticsError(f"{where}: scope_type must be one of {', '.join(SCOPE_TYPES)}")
        if row.scope_type == "total":
            scope = 0
        elif row.scope_code in ids[row.scope_type]:
            scope = ids[row.scope_type][row.scope_code]
        else:
            raise AnalyticsError(f"{where}: unknown {row.scope_type} {row.scope_code!r}")
        get_metric(row.metric)
        try:
            start = pd.Timestamp(row.period_start).date()
            end = pd.Timestamp(row.period_end).date()
            value = Decimal(str(row.value))
        except (ValueError, InvalidOperation) as exc:
            raise AnalyticsError(f"{where}: {exc}") from None
        if end < start:
            raise AnalyticsError(f"{where}: period_end is before period_start")
        if not value.is_finite() or value < 0:
            raise AnalyticsError(f"{where}: value must be a non-negative number")
        rows.append(
            {
                "scope_type": row.scope_type,
                "scope_id": scope,
                "metric": row.metric,
                "period_start": start,
                "period_end": end,
                "value": value,
                "updated_by": actor,
                "updated_at": dt.datetime.now(dt.UTC),
            }
        )
    with engine.begin() as conn:
        upsert(
            conn,
            target,
            rows,
            key=["scope_type", "scope_id", "metric", "period_start", "period_end"],
        )
        audit.record(
            conn, actor, "target.import", "target", f"{len(rows)} rows", None, {"rows": len(rows)}
        )
    renew_stamps([TARGETS_STAMP], url)
    return len(rows)


def delete_targets(ids: list[int], actor: str, url: str | None = None) -> int:
    """Remove targets by id in one audited transaction (the audit entry keeps their values)."""
    if not ids:
        raise AnalyticsError("select the targets to delete")
    engine = get_engine(url)
    with engine.begin() as conn:
        gone = conn.execute(
            delete(target)
            .where(target.c.id.in_([int(i) for i in ids]))
            .returning(
                target.c.id,
                target.c.scope_type,
                target.c.scope_id,
                target.c.metric,
                target.c.period_start,
                target.c.period_end,
                target.c.value,
            )
        ).mappings()
        before = [dict(row) for row in gone]
        if len(before) != len(set(ids)):
            # Someone else removed some first: raising rolls back, so none is deleted.
            raise AnalyticsError("some of these targets no longer exist; reload the page")
        audit.record(conn, actor, "target.delete", "target", f"{len(before)} rows", before, None)
    renew_stamps([TARGETS_STAMP], url)
    return len(before)
