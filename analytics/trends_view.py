"""The Trends page's data: trend calls per channel and metric, with MoM, YoY and sparklines.

Each metric is turned into a daily series first (a ratio is that day's numerator sum
over its denominator sum, never an average of finer ratios), then ``trend_test`` calls
it rising, declining or flat on the seasonally adjusted series. MoM and YoY compare the
last complete month of the period with the month before and the same month a year
earlier, sum over sum; the sparkline holds the weekly values (sum over sum) of the
complete ISO weeks of the period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from analytics.cache import memoise, with_comparisons
from analytics.errors import AnalyticsError
from analytics.metrics import BASE_MEASURES, METRICS, relative_change, with_derived
from analytics.periods import Period, bucket_start
from analytics.rollup import Filters, rollup_sums
from analytics.trends import SPARKLINE_WEEKS, trend_test

TREND_METRICS = ("revenue", "orders", "conversion_rate", "aov", "margin_pct")
MIN_ACTIVE_SHARE = 0.5
CHANNEL_LEVELS = ("category", "touchpoint", "region", "location")
WEEKLY_COLUMNS = ["channel", "channel_name", "metric", "week", "value"]
TREND_COLUMNS = [
    "channel",
    "channel_name",
    "metric",
    "metric_label",
    "value",
    "direction",
    "p_value",
    "strength",
    "relative_slope",
    "mom",
    "yoy",
    "sparkline",
    "grain",
    "n",
]


@dataclass(frozen=True)
class TrendView:
    period: Period
    level: str
    month: Period | None  # the last complete month MoM and YoY compare
    table: pd.DataFrame  # TREND_COLUMNS, sorted by strength (strongest rise first)
    weekly: pd.DataFrame  # channel, channel_name, metric, week, value (complete ISO weeks)


def _check_level(level: str) -> None:
    if level not in CHANNEL_LEVELS:
        raise AnalyticsError(f"unknown channel level {level!r}; use one of {CHANNEL_LEVELS}")


def daily_sums(
    period: Period, level: str, filters: Filters | None = None, url: str | None = None
) -> pd.DataFrame:
    """Summed measures per day × channel on a full grid: days without activity are zeros."""
    _check_level(level)
    frame = rollup_sums(period, ("day", level), filters, url)
    names = frame.drop_duplicates(level).set_index(level)[f"{level}_name"]
    days = pd.date_range(period.start, period.end, freq="D").date
    grid = pd.MultiIndex.from_product([days, names.index], names=["day", level])
    sums = frame.set_index(["day", level])[list(BASE_MEASURES)].reindex(grid, fill_value=0.0)
    sums = with_derived(sums.reset_index())
    sums[f"{level}_name"] = sums[level].map(names)
    return sums


def metric_series(sums: pd.DataFrame, level: str, metrics=TREND_METRICS) -> pd.DataFrame:
    """Long ``channel, metric, ds, y`` from per-day sums; ratios NaN where the denominator is 0."""
    parts = [
        pd.DataFrame(
            {
                "channel": sums[level].to_numpy(),
                "metric": name,
                "ds": pd.to_datetime(sums["day"]).to_numpy(),
                "y": METRICS[name].value(sums).to_numpy(dtype="float64"),
            }
        )
        for name in metrics
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def last_complete_month(period: Period) -> Period | None:
    """The last calendar month that lies wholly inside the period."""
    end = period.end
    following = end + dt.timedelta(days=1)
    if following.day != 1:
        end = end.replace(day=1) - dt.timedelta(days=1)
    start = end.replace(day=1)
    return Period(start, end) if start >= period.start else None


def _month_before(month: Period) -> Period:
    end = month.start - dt.timedelta(days=1)
    return Period(end.replace(day=1), end)


def _month_changes(
    month: Period | None, level: str, filters: Filters | None, metrics, url: str | None
) -> pd.DataFrame:
    """mom / yoy in percent per (channel, metric), sum over sum per month."""
    if month is None:
        return pd.DataFrame(columns=["channel", "metric", "mom", "yoy"])
    year_before = month.last_year()
    year_before = Period(year_before.start, _month_end(year_before.start))
    values = {}
    for key, span in (("now", month), ("prior", _month_before(month)), ("ly", year_before)):
        sums = rollup_sums(span, (level,), filters, url).set_index(level)
        values[key] = {name: METRICS[name].value(sums) for name in metrics}
    rows = []
    for channel in values["now"][metrics[0]].index:
        for name in metrics:
            now = values["now"][name].get(channel)

            def change(key: str, channel=channel, name=name, now=now) -> float:
                before = values[key][name].get(channel)
                result = relative_change(_number(now), _number(before))
                return np.nan if result is None else result * 100

            rows.append(
                {"channel": channel, "metric": name, "mom": change("prior"), "yoy": change("ly")}
            )
    return pd.DataFrame(rows, columns=["channel", "metric", "mom", "yoy"])


def _month_end(start: dt.date) -> dt.date:
    following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _number(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _weekly_sums(sums: pd.DataFrame, level: str) -> pd.DataFrame:
    """Measures summed per channel × complete ISO week (all seven days inside the period)."""
    days = pd.to_datetime(sums["day"])
    week = bucket_start(days, "week")
    days_in_week = days.groupby(week).transform("nunique")
    complete = (days_in_week == 7).to_numpy()
    measures = list(BASE_MEASURES) + ["revenue", "gross_profit"]
    return sums.loc[complete, measures].groupby([sums.loc[complete, level], week[complete]]).sum()


def weekly_sparklines(sums: pd.DataFrame, level: str, metrics=TREND_METRICS) -> pd.DataFrame:
    """Per (channel, metric): the values of the complete ISO weeks, oldest first (sum over sum)."""
    weekly = _weekly_sums(sums, level)
    rows = []
    for channel, part in weekly.groupby(level=0):
        for name in metrics:
            values = METRICS[name].value(part).to_numpy(dtype="float64")[-SPARKLINE_WEEKS:]
            rows.append(
                {
                    "channel": channel,
                    "metric": name,
                    "sparkline": [_none_for_nan(v) for v in values],
                }
            )
    return pd.DataFrame(rows, columns=["channel", "metric", "sparkline"])


def _none_for_nan(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _active_share(y: pd.Series) -> float:
    return float((y.fillna(0) != 0).mean()) if len(y) else 0.0


def trend_calls(sums: pd.DataFrame, level: str, metrics=TREND_METRICS, alpha: float = 0.05):
    """Trend test per (channel, metric) of the daily series built from per-day sums.

    Mann–Kendall's tie correction breaks down on mostly-zero series (a handful of
    orders a month gives absurd p-values), so a series active on fewer than
    ``MIN_ACTIVE_SHARE`` of its days is tested on its complete ISO weeks instead (sum
    over sum, no seasonal adjustment), and one that is sparse even weekly is not
    called at all (``direction`` "sparse"). ``grain`` says which series was tested.
    """
    series = metric_series(sums, level, metrics)
    weekly = _weekly_series(sums, level, metrics)
    rows = []
    for (channel, name), part in series.groupby(["channel", "metric"], sort=False):
        y = part.set_index("ds")["y"].sort_index()
        y.index = pd.DatetimeIndex(y.index, freq="D")
        grain, period = "day", 7
        if _active_share(y) < MIN_ACTIVE_SHARE:
            y, grain, period = weekly[(channel, name)], "week", 1
        if _active_share(y) < MIN_ACTIVE_SHARE:
            result = asdict(trend_test(y.iloc[:0]))
            result.update(direction="sparse", p_value=np.nan)
        else:
            result = asdict(trend_test(y, period=period, alpha=alpha))
        rows.append({"channel": channel, "metric": name, "grain": grain, **result})
    return pd.DataFrame(rows)


def _weekly_series(sums: pd.DataFrame, level: str, metrics) -> dict:
    weekly = _weekly_sums(sums, level)
    result = {}
    for channel, part in weekly.groupby(level=0):
        index = pd.DatetimeIndex(part.index.get_level_values(1))
        for name in metrics:
            values = METRICS[name].value(part).to_numpy(dtype="float64")
            result[(channel, name)] = pd.Series(values, index=index)
    return result


@memoise(periods=with_comparisons)
def build_trends(
    period: Period,
    level: str = "category",
    filters: Filters | None = None,
    metrics=TREND_METRICS,
    alpha: float = 0.05,
    url: str | None = None,
) -> TrendView:
    """Trend table of every channel at ``level`` and every metric, strongest rise first."""
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise AnalyticsError(f"unknown metric(s) {unknown}")
    sums = daily_sums(period, level, filters, url)
    month = last_complete_month(period)
    if sums.empty:
        return TrendView(
            period,
            level,
            month,
            pd.DataFrame(columns=TREND_COLUMNS),
            pd.DataFrame(columns=WEEKLY_COLUMNS),
        )
    names = sums.drop_duplicates(level).set_index(level)[f"{level}_name"]
    table = (
        trend_calls(sums, level, metrics, alpha)
        .merge(_month_changes(month, level, filters, list(metrics), url), how="left")
        .merge(weekly_sparklines(sums, level, metrics), how="left")
    )
    totals = sums.groupby(level)[[*BASE_MEASURES, "revenue", "gross_profit"]].sum()
    values = {name: METRICS[name].value(totals) for name in metrics}
    table["value"] = [
        values[m].get(c) for c, m in zip(table["channel"], table["metric"], strict=True)
    ]
    table["channel_name"] = table["channel"].map(names)
    table["metric_label"] = table["metric"].map(lambda m: METRICS[m].label)
    table["relative_slope"] = table["relative_slope"] * 100
    table = table.sort_values(
        ["strength", "channel_name", "metric"], ascending=[False, True, True], kind="stable"
    )
    return TrendView(
        period,
        level,
        month,
        table[TREND_COLUMNS].reset_index(drop=True),
        weekly_values(sums, level, metrics).assign(channel_name=lambda f: f["channel"].map(names))[
            WEEKLY_COLUMNS
        ],
    )


def weekly_values(sums: pd.DataFrame, level: str, metrics=TREND_METRICS) -> pd.DataFrame:
    """``channel, metric, week, value`` for every complete ISO week (sum over sum)."""
    weekly = _weekly_sums(sums, level)
    parts = []
    for name in metrics:
        parts.append(
            pd.DataFrame(
                {
                    "channel": weekly.index.get_level_values(0),
                    "metric": name,
                    "week": weekly.index.get_level_values(1),
                    "value": METRICS[name].value(weekly).to_numpy(dtype="float64"),
                }
            )
        )
    columns = ["channel", "metric", "week", "value"]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
