"""The Targets & variance page's data: actual against target, RAG status, and why revenue missed.

Status: a metric at or better than its target is green, up to ``AMBER_BAND`` worse
(relative) is amber, worse still is red. The margin target is a threshold not to
fall below: under it is red (and flagged), less than ``MARGIN_AMBER_PP`` above it
is amber. The revenue variance of each channel is split into traffic, conversion
and AOV effects with ``decompose_target_variance`` (LMDI: the effects add up to it).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.cache import TARGETS_STAMP
from analytics.cache import memoise
from analytics.decomposition import EFFECTS
from analytics.decomposition import TOTAL_LABEL
from analytics.decomposition import decompose_target_variance
from analytics.metrics import METRICS
from analytics.periods import Period
from analytics.prorated_targets import load_targets
from analytics.prorated_targets import prorated_targets
from analytics.rollup import Filters
from analytics.rollup import prefetch_rollups
from analytics.rollup import rollup_sums
from analytics.target_rows import TARGET_LEVELS
from analytics.target_rows import TARGET_METRICS
from analytics.targets import scope_ids

# The targets the revenue variance is decomposed against (traffic × conversion × AOV).
EFFECT_TARGETS = ("revenue", "conversion_rate", "aov")
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


def targets_apply(level: str, filters: Filters) -> bool:
    """Whether each row at ``level`` holds a whole channel under ``filters``, so that its
    target applies: a region or location filter cuts every channel, a touchpoint filter cuts
    the categories (a category or touchpoint filter only chooses the rows)."""
    if filters.regions or filters.locations:
        return False
    return not (level == "category" and filters.touchpoints)


@memoise(periods=lambda arguments: [arguments["period"]], stamps=(TARGETS_STAMP,))
def variance_table(
    period: Period,
    level: str = "category",
    filters: Filters | None = None,
    metrics=TARGET_METRICS,
    url: str | None = None,
) -> pd.DataFrame:
    """Actual vs target per channel × metric (``VARIANCE_COLUMNS``), plus a ``total`` row.

    Targets exist for categories and touchpoints (and the total of all channels);
    other levels, and channels the filters cut (``targets_apply``), show actuals with
    status "none". The total row's target is the total target only when nothing is filtered.
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
    ids = scope_ids(level, url) if targets_apply(level, filters) else {}
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


@memoise(periods=lambda arguments: [arguments["period"]], stamps=(TARGETS_STAMP,))
def revenue_variance_effects(
    period: Period,
    level: str = "category",
    filters: Filters | None = None,
    url: str | None = None,
) -> pd.DataFrame:
    """Revenue variance to target per channel split into traffic, conversion and AOV effects.

    Only whole channels (``targets_apply``) with a revenue, a conversion-rate and an AOV target
    take part. Conversion is the metric's (won deals ÷ opportunities where a channel converts
    opportunities), so its effect agrees with the conversion row of ``variance_table``; such a
    channel's orders per won deal are taken as its targets' too, and explain nothing.
    Columns: ``channel, channel_name, revenue_target, revenue_actual, variance``,
    the three ``EFFECTS`` and ``status``; the last row is the total of those channels.
    """
    columns = ["channel", "channel_name", "revenue_target", "revenue_actual", "variance", *EFFECTS]
    filters = filters or Filters()
    if level not in TARGET_LEVELS or not targets_apply(level, filters):
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
    actual = actual[actual["channel"].isin(target["channel"])].set_index("channel")
    # revenue = visits × conversions/visits × orders/conversions × revenue/orders: the AOV
    # target scaled by the actual orders per conversion makes the last two one factor.
    conversions = actual["conversions"].where(actual["conversions"] > 0, actual["orders"])
    per_conversion = (actual["orders"] / conversions.where(conversions > 0)).where(
        actual["orders"] > 0, 1.0
    )
    target["aov_target"] = target["aov_target"] * target["channel"].map(per_conversion)
    events = actual.assign(orders=conversions).reset_index()
    table = decompose_target_variance(
        events[["channel", "visits", "orders", "revenue"]], target, key="channel", total=True
    )
    names = dict(zip(sums[level], sums[f"{level}_name"], strict=True)) | {
        TOTAL_LABEL: "Total of these channels"
    }
    table["channel_name"] = table["channel"].map(names)
    return table[columns + ["status"]]


@dataclass(frozen=True)
class TargetsView:
    period: Period
    level: str
    variance: pd.DataFrame  # variance_table: actual vs target per channel × metric, and total
    effects: pd.DataFrame  # revenue_variance_effects: why revenue missed, per channel
    partial_channels: bool  # the filters keep part of each channel with targets: none shown

    @property
    def revenue(self) -> float:
        """The revenue of everything in view (the total row's actual)."""
        table = self.variance
        total = table.loc[(table["metric"] == "revenue") & (table["channel"] == TOTAL), "actual"]
        return float(total.iloc[0]) if len(total) else 0.0


def build_targets(
    period: Period, level: str = "category", filters: Filters | None = None, url: str | None = None
) -> TargetsView:
    """Actual vs target with RAG status, and the revenue variance split into its effects."""
    filters = filters or Filters()
    return TargetsView(
        period,
        level,
        variance_table(period, level, filters, TARGET_METRICS, url),
        revenue_variance_effects(period, level, filters, url),
        level in TARGET_LEVELS and not targets_apply(level, filters),
    )
