"""The Targets & variance page's data: actual against target, RAG status, and why revenue missed.

Status: a metric at or better than its target is green, up to ``AMBER_BAND`` worse
(relative) is amber, worse still is red. The margin target is a threshold not to
fall below: under it is red (and flagged), less than ``MARGIN_AMBER_PP`` above it
is amber. The revenue variance of each channel is split into traffic, conversion
and AOV effects with ``decompose_target_variance`` (LMDI: the effects add up to it).
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select

from analytics.cache import TARGETS_STAMP, memoise
from analytics.contribution import LEVEL_TABLES, scope_ids
from analytics.decomposition import EFFECTS, decompose_target_variance
from analytics.errors import AnalyticsError
from analytics.metrics import METRICS
from analytics.periods import Period
from analytics.rollup import Filters, prefetch_rollups, rollup_sums
from analytics.targets import TARGET_COLUMNS, import_targets, load_targets, prorate
from db.engine import get_engine
from db.schema import Target

VARIANCE_METRICS = ("revenue", "conversion_rate", "aov", "margin_pct")
# The targets the revenue variance is decomposed against (traffic × conversion × AOV).
EFFECT_TARGETS = ("revenue", "conversion_rate", "aov")
TARGET_LEVELS = ("category", "touchpoint")
AMBER_BAND = 0.05
MARGIN_AMBER_PP = 0.01
TOTAL = "total"
VARIANCE_COLUMNS = [
    "channel",
    "channel_name",
    "metric",
    "metric_label",
    "actual",
    "target",
    "variance",
    "variance_pct",
    "status",
    "below_threshold",
]


def rag_status(metric: str, actual: float | None, target: float | None) -> str:
    """green / amber / red for one metric against its target; "none" without a target."""
    if target is None or actual is None or pd.isna(actual) or pd.isna(target):
        return "none"
    if metric == "margin_pct":
        if actual < target:
            return "red"
        return "amber" if actual < target + MARGIN_AMBER_PP else "green"
    better = METRICS[metric].higher_is_better
    gap = (actual - target) / abs(target) if target else 0.0
    gap = gap if better else -gap
    if gap >= 0:
        return "green"
    return "amber" if gap >= -AMBER_BAND else "red"


def _variance_row(channel, name, metric, actual, target) -> dict:
    actual = None if actual is None or pd.isna(actual) else float(actual)
    variance = None if target is None or actual is None else actual - target
    return {
        "channel": channel,
        "channel_name": name,
        "metric": metric,
        "metric_label": METRICS[metric].label,
        "actual": np.nan if actual is None else actual,
        "target": np.nan if target is None else target,
        "variance": np.nan if variance is None else variance,
        "variance_pct": np.nan if variance is None or not target else variance / target * 100,
        "status": rag_status(metric, actual, target),
        "below_threshold": metric == "margin_pct"
        and target is not None
        and actual is not None
        and actual < target,
    }


@memoise(periods=lambda arguments: [arguments["period"]], stamps=(TARGETS_STAMP,))
def variance_table(
    period: Period,
    level: str = "category",
    filters: Filters | None = None,
    metrics=VARIANCE_METRICS,
    url: str | None = None,
) -> pd.DataFrame:
    """Actual vs target per channel × metric (``VARIANCE_COLUMNS``), plus a ``total`` row.

    Targets exist for categories and touchpoints (and the total of all channels);
    other levels show actuals with status "none". The total row's target is the
    total target only when nothing is filtered.
    """
    filters = filters or Filters()
    # This table's reads side by side, with the targets ``revenue_variance_effects`` (shown
    # beside it on the Targets page) reads.
    prefetch_rollups(
        [(period, (level,)), (period, ())],
        filters,
        url,
        also=[
            functools.partial(load_targets, tuple(metrics), period, url),
            functools.partial(load_targets, EFFECT_TARGETS, period, url),
        ],
    )
    sums = rollup_sums(period, (level,), filters, url)
    ids = scope_ids(level, url) if level in TARGET_LEVELS else {}
    by_scope, total_targets = prorated_targets(tuple(metrics), period, level, url)
    rows = []
    for metric in metrics:
        targets = by_scope[metric] if ids else {}
        values = METRICS[metric].value(sums)
        for position, channel in enumerate(sums[level]):
            rows.append(
                _variance_row(
                    channel,
                    sums[f"{level}_name"].iloc[position],
                    metric,
                    values.iloc[position],
                    targets.get(ids.get(channel)),
                )
            )
    unfiltered = filters == Filters()
    totals = rollup_sums(period, (), filters, url).iloc[0]
    for metric in metrics:
        target = total_targets.get(metric) if unfiltered else None
        rows.append(
            _variance_row(
                TOTAL,
                "All channels" if unfiltered else "All in view",
                metric,
                METRICS[metric].value(totals),
                target,
            )
        )
    return pd.DataFrame(rows, columns=VARIANCE_COLUMNS)


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


@memoise(periods=lambda arguments: [arguments["period"]], stamps=(TARGETS_STAMP,))
def revenue_variance_effects(
    period: Period,
    level: str = "category",
    filters: Filters | None = None,
    url: str | None = None,
) -> pd.DataFrame:
    """Revenue variance to target per channel split into traffic, conversion and AOV effects.

    Only channels with a revenue, a conversion-rate and an AOV target take part.
    Columns: ``channel, channel_name, revenue_target, revenue_actual, variance``,
    the three ``EFFECTS`` and ``status``; the last row is the total of those channels.
    """
    columns = ["channel", "channel_name", "revenue_target", "revenue_actual", "variance", *EFFECTS]
    if level not in TARGET_LEVELS:
        return pd.DataFrame(columns=columns + ["status"])
    ids = scope_ids(level, url)
    targets, _ = prorated_targets(EFFECT_TARGETS, period, level, url)
    sums = rollup_sums(period, (level,), filters, url)
    target_rows = []
    for channel in sums[level]:
        scope = ids.get(channel)
        values = [targets[m].get(scope) for m in ("revenue", "conversion_rate", "aov")]
        if all(v is not None for v in values):
            target_rows.append(
                {
                    "channel": channel,
                    "revenue_target": values[0],
                    "conversion_target": values[1],
                    "aov_target": values[2],
                }
            )
    if not target_rows:
        return pd.DataFrame(columns=columns + ["status"])
    target = pd.DataFrame(target_rows)
    actual = sums.rename(columns={level: "channel"})
    actual = actual[actual["channel"].isin(target["channel"])]
    table = decompose_target_variance(
        actual[["channel", "visits", "orders", "revenue"]], target, key="channel", total=True
    )
    names = dict(zip(sums[level], sums[f"{level}_name"], strict=True)) | {"Total": "Total"}
    table["channel_name"] = table["channel"].map(names)
    return table[columns + ["status"]]


# --- managing targets -----------------------------------------------------------------------

TARGET_LIST_COLUMNS = [
    "id",
    "scope_type",
    "scope_code",
    "scope_name",
    "metric",
    "period_start",
    "period_end",
    "value",
    "updated_by",
    "updated_at",
]


def list_targets(url: str | None = None) -> pd.DataFrame:
    """Every target row with its scope's code and name, newest period first."""
    target = Target.__table__
    with get_engine(url).connect() as conn:
        frame = pd.DataFrame(conn.execute(select(target)).mappings().all())
    if frame.empty:
        return pd.DataFrame(columns=TARGET_LIST_COLUMNS)
    codes, names = {("total", 0): "total"}, {("total", 0): "All channels"}
    for level in TARGET_LEVELS:
        table = LEVEL_TABLES[level]
        with get_engine(url).connect() as conn:
            for row in conn.execute(select(table.c.id, table.c.code, table.c.name)):
                codes[(level, row.id)] = row.code
                names[(level, row.id)] = row.name
    keys = list(zip(frame["scope_type"], frame["scope_id"], strict=True))
    frame["scope_code"] = [codes.get(k, str(k[1])) for k in keys]
    frame["scope_name"] = [names.get(k, str(k[1])) for k in keys]
    frame["value"] = frame["value"].astype(float)
    return frame[TARGET_LIST_COLUMNS].sort_values(
        ["period_start", "scope_type", "scope_code", "metric"],
        ascending=[False, True, True, True],
        ignore_index=True,
    )


@dataclass(frozen=True)
class TargetInput:
    scope_type: str
    scope_code: str
    metric: str
    period_start: str
    period_end: str
    value: str


def set_target(item: TargetInput, actor: str, url: str | None = None) -> int:
    """Set one target (validated and audited like an import)."""
    if item.metric not in VARIANCE_METRICS:
        raise AnalyticsError(f"metric must be one of {', '.join(VARIANCE_METRICS)}")
    values = {c: getattr(item, c) for c in TARGET_COLUMNS}
    if any(v in (None, "") for v in values.values()):
        missing = [c for c, v in values.items() if v in (None, "")]
        raise AnalyticsError(f"fill in {', '.join(missing)}")
    return import_targets(pd.DataFrame([values]), actor, url)


def read_target_csv(content: bytes) -> pd.DataFrame:
    """A target CSV (``TARGET_COLUMNS`` header) as a frame; a clear error if it cannot be read."""
    try:
        frame = pd.read_csv(
            io.BytesIO(content), dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise AnalyticsError(f"the file is not a readable CSV: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in TARGET_COLUMNS if c not in frame.columns]
    if missing:
        raise AnalyticsError(
            f"the file lacks column(s) {', '.join(missing)}; "
            f"expected the header {','.join(TARGET_COLUMNS)}"
        )
    if frame.empty:
        raise AnalyticsError("the file has no target rows")
    for number, row in enumerate(frame.itertuples(index=False), start=2):
        if row.metric not in VARIANCE_METRICS:
            raise AnalyticsError(
                f"row {number}: metric {row.metric!r} is not one of {', '.join(VARIANCE_METRICS)}"
            )
        for column in ("period_start", "period_end"):
            text = getattr(row, column)
            try:
                valid = not pd.isna(pd.Timestamp(text))
            except (ValueError, TypeError):
                valid = False
            if not valid:
                raise AnalyticsError(
                    f"row {number}: {column} {text!r} is not a date (use YYYY-MM-DD)"
                )
        try:
            float(row.value)
        except ValueError:
            raise AnalyticsError(f"row {number}: value {row.value!r} is not a number") from None
    return frame[list(TARGET_COLUMNS)]


def import_target_csv(content: bytes, actor: str, url: str | None = None) -> int:
    """Validate a whole target CSV, then write all of it in one audited transaction (or nothing)."""
    return import_targets(read_target_csv(content), actor, url)
