"""Targets and baselines per channel scope × period × metric, prorated to any date range.

Additive targets (revenue, orders) are prorated by the days of each target
period that fall in the range and need the range fully covered; ratio targets
(conversion rate, AOV, margin threshold) are the day-weighted mean of the
target periods that overlap it. Targets are set by the commands in ``analytics.targets``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import select

from analytics.cache import TARGETS_STAMP
from analytics.cache import memoise
from analytics.metrics import get_metric
from analytics.periods import Period
from db.engine import get_engine
from db.frames import read_frame
from db.target_tables import Target

target = Target.__table__


TARGET_COLUMNS = ["metric", "scope_type", "scope_id", "period_start", "period_end", "value"]


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
        return pd.DataFrame(columns=TARGET_COLUMNS)
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


def prorated_targets(
    metrics: tuple[str, ...], period: Period, level: str, url: str | None = None
) -> tuple[dict[str, dict[int, float]], dict[str, float | None]]:
    """Targets of several metrics for the period from one query.

    Returns ``({metric: {scope id at level: target}}, {metric: total target})``: the
    per-scope values ``targets_by_scope`` gives and the totals ``target_for`` gives.
    """
    rows = load_targets(metrics, period, url)
    by_scope: dict[str, dict[int, float]] = {metric: {} for metric in metrics}
    totals: dict[str, float | None] = {}
    if rows.empty:
        return by_scope, totals
    for (metric, scope_type, scope), group in rows.groupby(["metric", "scope_type", "scope_id"]):
        value = prorate(group, metric, period)
        if scope_type == level and value is not None:
            by_scope[metric][int(scope)] = value
        elif scope_type == "total" and scope == 0:
            totals[metric] = value
    return by_scope, totals
