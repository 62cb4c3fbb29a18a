"""Contribution: who earns what share of revenue, how channels compare, who drove the change.

- ``share_over_time``: each channel's share of gross sales per bucket (the shares of a
  bucket add up to 1). Shares are of sales before refunds (``sales_shares``): a share of net
  revenue breaks where refunds outweigh a channel's sales (a period of a few days, a channel
  winding down), going below 0 % and pushing the others above 100 %.
- ``channel_index``: channels side by side on ratio metrics, as an index (channel
  value ÷ all-channel value × 100) and as a z-score across the channels.
- ``revenue_waterfall``: the revenue change between two periods, split by channel.
- ``underperformers``: channels below their target share of revenue (the share their
  revenue target has in the targets of the channels shown) or in a significant
  decline (``trend_tests`` on daily revenue).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.cache import memoise
from analytics.cache import with_comparisons
from analytics.channels import check_level
from analytics.metrics import METRICS
from analytics.metrics import signed_text
from analytics.periods import Period
from analytics.periods import bucket_start
from analytics.prorated_targets import targets_by_scope
from analytics.rollup import Filters
from analytics.rollup import daily_sums
from analytics.rollup import rollup_sums
from analytics.target_rows import TARGET_LEVELS
from analytics.targets import scope_ids
from analytics.trends import trend_tests

INDEX_METRICS = ("aov", "conversion_rate", "margin_pct", "roas")


def sales_shares(sales: pd.Series, groups: pd.Series | None = None) -> pd.Series:
    """Each row's share of the gross ``sales`` of its group (of all rows without ``groups``):
    between 0 and 1 whatever the refunds; NaN where the group sold nothing."""
    key = groups if groups is not None else pd.Series(0, index=sales.index)
    total = sales.groupby(key).transform("sum")
    return sales / total.where(total != 0)


def _names(frame: pd.DataFrame, level: str) -> pd.Series:
    return frame.drop_duplicates(level).set_index(level)[f"{level}_name"]


def share_over_time(
    period: Period,
    level: str = "category",
    filters: Filters | None = None,
    grain: str = "month",
    url: str | None = None,
) -> pd.DataFrame:
    """``bucket, channel, channel_name, revenue, sales, share``: net revenue, gross sales and the
    share of the bucket's gross sales (summing to 1 per bucket).

    The bucket is the first day of the grain's bucket (clipped to the period start);
    a bucket with no sales has NaN shares.
    """
    check_level(level)
    daily = rollup_sums(period, ("day", level), filters, url)
    columns = ["bucket", "channel", "channel_name", "revenue", "sales", "share"]
    if daily.empty:
        return pd.DataFrame(columns=columns)
    starts = bucket_start(pd.Series(pd.to_datetime(daily["day"])), grain)
    daily["bucket"] = starts.clip(lower=pd.Timestamp(period.start))
    shares = (
        daily.rename(columns={"gross_revenue": "sales"})
        .groupby(["bucket", level, f"{level}_name"], as_index=False)[["revenue", "sales"]]
        .sum()
        .rename(columns={level: "channel", f"{level}_name": "channel_name"})
    )
    shares["share"] = sales_shares(shares["sales"], shares["bucket"])
    return shares[columns].sort_values(["bucket", "channel"], ignore_index=True)


def channel_index(
    period: Period,
    level: str = "category",
    filters: Filters | None = None,
    metrics=INDEX_METRICS,
    url: str | None = None,
) -> pd.DataFrame:
    """Channels side by side on ratio metrics, normalised two ways.

    Columns: ``channel, channel_name, metric, metric_label, value, all_channels, index``
    (value ÷ all-channel value × 100: 100 = the mix average) and ``zscore`` (how many
    standard deviations the channel's value is from the mean of the channels' values).
    """
    sums = rollup_sums(period, (level,), filters, url)
    totals = rollup_sums(period, (), filters, url).iloc[0]
    rows = []
    for name in metrics:
        metric = METRICS[name]
        values = metric.value(sums)
        overall = metric.value(totals)
        spread = values.std(ddof=0)
        for position, channel in enumerate(sums[level]):
            value = values.iloc[position]
            rows.append(
                {
                    "channel": channel,
                    "channel_name": sums[f"{level}_name"].iloc[position],
                    "metric": name,
                    "metric_label": metric.label,
                    "value": value,
                    "all_channels": np.nan if overall is None else overall,
                    "index": value / overall * 100 if overall else np.nan,
                    "zscore": (value - values.mean()) / spread if spread > 0 else np.nan,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "channel",
            "channel_name",
            "metric",
            "metric_label",
            "value",
            "all_channels",
            "index",
            "zscore",
        ],
    )


def revenue_waterfall(
    period: Period,
    base: Period,
    level: str = "category",
    filters: Filters | None = None,
    url: str | None = None,
) -> pd.DataFrame:
    """``channel, channel_name, revenue_base, revenue_current, change`` by largest rise first.

    The changes add up to the change of the total between ``base`` and ``period``.
    """
    frames = [rollup_sums(p, (level,), filters, url).set_index(level) for p in (base, period)]
    names = pd.concat([f[f"{level}_name"] for f in frames])
    names = names[~names.index.duplicated()]
    table = pd.DataFrame(
        {
            "revenue_base": frames[0]["revenue"],
            "revenue_current": frames[1]["revenue"],
        }
    ).fillna(0.0)
    table["change"] = table["revenue_current"] - table["revenue_base"]
    table["channel_name"] = names.reindex(table.index)
    table = table.rename_axis("channel").reset_index()
    return table[
        ["channel", "channel_name", "revenue_base", "revenue_current", "change"]
    ].sort_values(["change", "channel"], ascending=[False, True], ignore_index=True)


def target_shares(
    period: Period, level: str, channels: list[str], url: str | None = None
) -> dict[str, float]:
    """Each channel's share of the summed revenue targets of those ``channels`` that have one."""
    if level not in TARGET_LEVELS or not channels:
        return {}
    codes = scope_ids(level, url)
    by_scope = targets_by_scope("revenue", period, level, url)
    targets = {c: by_scope[codes[c]] for c in channels if codes.get(c) in by_scope}
    total = sum(targets.values())
    return {c: v / total for c, v in targets.items()} if total > 0 else {}


@memoise(periods=with_comparisons)
def underperformers(
    period: Period,
    level: str = "category",
    filters: Filters | None = None,
    alpha: float = 0.05,
    url: str | None = None,
) -> pd.DataFrame:
    """Per channel: revenue, share, target share, revenue trend, and whether it underperforms.

    Columns: ``channel, channel_name, revenue, share`` (of all gross sales in view),
    ``share_of_targeted`` (of the gross sales of the channels with a revenue target),
    ``target_share`` (of their targets), ``share_gap`` (share_of_targeted − target
    share: like with like, fractions), ``trend`` (rising/declining/flat), ``trend_p``,
    ``below_target_share``, ``declining``, ``underperforming`` and ``reason``.
    """
    daily = daily_sums(period, level, filters, url)
    columns = [
        "channel",
        "channel_name",
        "revenue",
        "share",
        "share_of_targeted",
        "target_share",
        "share_gap",
        "trend",
        "trend_p",
        "below_target_share",
        "declining",
        "underperforming",
        "reason",
    ]
    if daily.empty:
        return pd.DataFrame(columns=columns)
    names = _names(daily, level)
    revenue = daily.groupby(level)["revenue"].sum()
    sales = daily.groupby(level)["gross_revenue"].sum()
    table = pd.DataFrame({"revenue": revenue})
    table["share"] = sales_shares(sales)
    shares = target_shares(period, level, list(revenue.index), url)
    table["target_share"] = pd.Series(shares, dtype="float64").reindex(table.index)
    targeted = table["target_share"].notna()
    table["share_of_targeted"] = sales_shares(sales[targeted]).reindex(table.index)
    table["share_gap"] = table["share_of_targeted"] - table["target_share"]
    series = daily.pivot(index=level, columns="day", values="revenue").reindex(table.index)
    calls = trend_tests(series.to_numpy(dtype="float64"), period=7, alpha=alpha)
    table["trend"] = [call.direction for call in calls]
    table["trend_p"] = [call.p_value for call in calls]
    table["below_target_share"] = table["share_gap"] < 0
    table["declining"] = table["trend"] == "declining"
    table["underperforming"] = table["below_target_share"] | table["declining"]
    table["reason"] = [
        "; ".join(
            part
            for part, on in (
                (f"share {signed_text(gap * 100, ' pp')} vs target share", below),
                (f"revenue declining (p = {p:.3f})", declining),
            )
            if on
        )
        for gap, below, p, declining in zip(
            table["share_gap"],
            table["below_target_share"],
            table["trend_p"],
            table["declining"],
            strict=True,
        )
    ]
    table["channel_name"] = names.reindex(table.index)
    table = table.rename_axis("channel").reset_index()
    return table[columns].sort_values(
        ["revenue", "channel"], ascending=[False, True], ignore_index=True
    )
