"""The Contribution page's data: revenue shares, channels side by side, drivers of change, and
(read on its own, as it samples orders) the AOV deviation flags with their basket drivers."""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pandas as pd

from analytics.aov import aov_deviation_flags
from analytics.aov import basket_drivers
from analytics.cache import memoise
from analytics.cache import with_comparisons
from analytics.contribution import INDEX_METRICS
from analytics.contribution import channel_index
from analytics.contribution import revenue_waterfall
from analytics.contribution import share_over_time
from analytics.contribution import underperformers
from analytics.order_values import SAMPLE_LIMIT
from analytics.order_values import attributed_orders
from analytics.order_values import basket_sums
from analytics.order_values import channel_sums
from analytics.order_values import sized_sample
from analytics.periods import Period
from analytics.periods import compare_periods
from analytics.prorated_targets import load_targets
from analytics.rollup import Filters
from analytics.rollup import prefetch_rollups
from analytics.target_rows import TARGET_LEVELS


@dataclass(frozen=True)
class ContributionView:
    """What the Contribution page shows, but for its AOV flags (``build_aov``)."""

    shares: pd.DataFrame  # share_over_time
    waterfall: pd.DataFrame  # revenue_waterfall against the base period
    index: pd.DataFrame  # channel_index
    underperformers: pd.DataFrame

    @property
    def channels(self) -> pd.DataFrame:
        """One row per channel: revenue, comparison revenue and change, share, target share,
        trend, and ``status`` (underperforming / on track) with the reason; biggest first."""
        waterfall = self.waterfall
        table = self.underperformers.merge(
            waterfall[["channel", "revenue_base", "change"]], on="channel", how="outer"
        )
        names = dict(zip(waterfall["channel"], waterfall["channel_name"], strict=True))
        table["channel_name"] = table["channel_name"].fillna(table["channel"].map(names))
        table["revenue"] = table["revenue"].fillna(0.0)
        table["underperforming"] = table["underperforming"].fillna(False).astype(bool)
        table["status"] = table["underperforming"].map({True: "underperforming", False: "on track"})
        return table.sort_values("revenue", ascending=False, ignore_index=True)


def build_contribution(
    period: Period,
    base: Period,
    level: str = "category",
    filters: Filters | None = None,
    url: str | None = None,
    index_metrics: tuple[str, ...] = INDEX_METRICS,
) -> ContributionView:
    """The page's tables, with the rollup reads they share run side by side first
    (``index_metrics``: those the viewer may read)."""
    reads = [(period, ("day", level)), (period, (level,)), (period, ()), (base, (level,))]
    targets = [functools.partial(load_targets, "revenue", period, url)]
    prefetch_rollups(reads, filters, url, also=targets if level in TARGET_LEVELS else ())
    return ContributionView(
        shares=share_over_time(period, level, filters, url=url),
        waterfall=revenue_waterfall(period, base, level, filters, url),
        index=channel_index(period, level, filters, index_metrics, url),
        underperformers=underperformers(period, level, filters, url=url),
    )


@dataclass(frozen=True)
class AovView:
    period: Period
    baseline: Period
    flags: pd.DataFrame  # aov_deviation_flags columns (key "channel") + channel_name
    drivers: pd.DataFrame  # basket_drivers columns (key "channel") + channel_name

    @property
    def table(self) -> pd.DataFrame:
        """The flags with each channel's basket drivers (``basket_…``) and ``flagged``: deviating
        from its own baseline or from its peers."""
        basket = self.drivers.drop(columns=["channel_name"], errors="ignore").rename(
            columns={
                "aov_base": "basket_aov_base",
                "aov_current": "basket_aov_current",
                "aov_change": "basket_aov_change",
                "status": "basket_status",
            }
        )
        table = self.flags.merge(basket, on="channel", how="left")
        table["flagged"] = table["deviates_from_baseline"] | table["deviates_from_peers"]
        return table


@memoise(periods=with_comparisons)
def build_aov(
    period: Period,
    level: str = "category",
    filters: Filters | None = None,
    compare: str = "yoy",
    alpha: float = 0.01,
    min_effect: float = 0.05,
    limit: int = SAMPLE_LIMIT,
    url: str | None = None,
) -> AovView:
    """AOV deviation flags (vs the channel's own baseline and vs its peers) and basket drivers.

    The baseline is the same period last year (``compare="yoy"``, free of seasonality)
    or the prior period (``"prior"``).
    """
    baseline = compare_periods(period, [compare])[compare]
    spans = (period, baseline)

    # Four reads, mostly database time, side by side. Each basket read needs nothing first;
    # each sample needs its period's rollup sums (to size it), which it reads and memoises.
    # The AOVs come from the rollup (``totals``): the sample only feeds the rank tests.
    def sums_and_sample(span: Period) -> tuple[pd.DataFrame, pd.DataFrame]:
        sums = channel_sums(span, level, filters, url)
        return sums, sized_sample(sums, span, level, filters, limit, url, with_revenue=False)

    with ThreadPoolExecutor(max_workers=4) as pool:
        baskets = [pool.submit(basket_sums, span, level, filters, url) for span in spans]
        samples = [pool.submit(sums_and_sample, span) for span in spans]
        (current_sums, current_values), (baseline_sums, baseline_values) = (
            sample.result() for sample in samples
        )
        basket_frames = [basket.result() for basket in baskets]
    sums = [current_sums, baseline_sums]
    current_lines, baseline_lines = (
        attributed_orders(frame, span_sums, level)
        for frame, span_sums in zip(basket_frames, sums, strict=True)
    )
    # The AOVs shown are the metric's (revenue net of refunds ÷ orders), as on every other page.
    totals = tuple(frame.groupby(level)[["orders", "revenue"]].sum() for frame in sums)
    flags = aov_deviation_flags(
        current_values,
        baseline_values,
        alpha=alpha,
        min_effect=min_effect,
        key="channel",
        totals=totals,
    )
    if current_lines.empty and baseline_lines.empty:
        drivers = pd.DataFrame(columns=["channel", "aov_base", "aov_current", "aov_change"])
    else:
        drivers = basket_drivers(current_lines, baseline_lines, key="channel")
    names = {}
    for frame in reversed(sums):
        names.update(zip(frame[level], frame[f"{level}_name"], strict=True))
    flags.insert(1, "channel_name", flags["channel"].map(names))
    drivers.insert(1, "channel_name", drivers["channel"].map(names))
    return AovView(period, baseline, flags, drivers)
