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
from dataclasses import asdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.cache import memoise
from analytics.cache import with_comparisons
from analytics.errors import AnalyticsError
from analytics.metrics import ADDITIVE_MEASURES
from analytics.metrics import BASE_MEASURES
from analytics.metrics import METRICS
from analytics.periods import Period
from analytics.periods import bucket_start
from analytics.rollup import Filters
from analytics.rollup import daily_sums
from analytics.rollup import prefetch_rollups
from analytics.rollup import rollup_sums
from analytics.trends import TrendResult
from analytics.trends import trend_tests

TREND_METRICS = ("revenue", "orders", "conversion_rate", "aov", "margin_pct")
MIN_ACTIVE_SHARE = 0.5
SPARKLINE_WEEKS = 26
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
class TrendsView:
    period: Period
    level: str
    month: Period | None  # the last complete month MoM and YoY compare
    table: pd.DataFrame  # TREND_COLUMNS, sorted by strength (strongest rise first)
    weekly: pd.DataFrame  # channel, channel_name, metric, week, value (complete ISO weeks)


def last_complete_month(period: Period) -> Period | None:
    """The last calendar month that lies wholly inside the period."""
    end = period.end
    following = end + dt.timedelta(days=1)
    if following.day != 1:
        end = end.replace(day=1) - dt.timedelta(days=1)
    start = end.replace(day=1)
    return Period(start, end) if start >= period.start else None


def month_changes(totals: dict[str, pd.DataFrame], level: str, metrics) -> pd.DataFrame:
    """mom / yoy in percent, indexed by (channel, metric), sum over sum per month.

    ``totals`` holds the summed measures per channel (``rollup_sums`` by ``level``) of the
    month (``"now"``), the month before (``"prior"``) and the same month a year earlier
    (``"yoy"``); empty when there is no complete month. Rows for the channels active in the
    month; a change is NaN where either month has no value or the earlier one is zero.
    """
    if not totals:
        keys = pd.MultiIndex.from_tuples([], names=["channel", "metric"])
        return pd.DataFrame({"mom": [], "yoy": []}, index=keys)
    channels, values = _month_values(totals["now"], level, metrics)

    def change(earlier: pd.DataFrame) -> np.ndarray:
        found, before = _month_values(earlier, level, metrics)
        position = {channel: row for row, channel in enumerate(found)}
        rows = np.array([position.get(channel, -1) for channel in channels], dtype="int64")
        aligned = np.full_like(values, np.nan)
        aligned[rows >= 0] = before[rows[rows >= 0]]
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(aligned != 0, (values - aligned) / np.abs(aligned) * 100, np.nan)

    keys = pd.MultiIndex.from_product([channels, list(metrics)], names=["channel", "metric"])
    return pd.DataFrame(
        {"mom": change(totals["prior"]).ravel(), "yoy": change(totals["yoy"]).ravel()}, index=keys
    )


def _compared(month: Period) -> tuple[Period, Period, Period]:
    """The month, the month before and the same month a year earlier (whole months each)."""
    return month, month.prior(), month.last_year()


def _month_values(totals: pd.DataFrame, level: str, metrics) -> tuple[np.ndarray, np.ndarray]:
    """The channels active in a month's ``totals`` and their metric values (channels ×
    metrics), sum over sum."""
    active = (totals[list(BASE_MEASURES)].to_numpy() != 0).any(axis=1)
    values = np.column_stack(
        [METRICS[name].value(totals).to_numpy(dtype="float64") for name in metrics]
    )
    return totals[level].to_numpy()[active], values[active]


def _weekly_sums(sums: pd.DataFrame, level: str) -> pd.DataFrame:
    """Measures summed per channel × complete ISO week (all seven days inside the period)."""
    days = pd.to_datetime(sums["day"])
    week = bucket_start(days, "week")
    days_in_week = days.groupby(week).transform("nunique")
    complete = (days_in_week == 7).to_numpy()
    return (
        sums.loc[complete, list(ADDITIVE_MEASURES)]
        .groupby([sums.loc[complete, level], week[complete]])
        .sum()
    )


def metric_rows(sums_by_step: pd.DataFrame, metrics=TREND_METRICS) -> pd.DataFrame:
    """One row per (channel, metric), one column per step (day or week), sum over sum.

    ``sums_by_step`` holds the summed measures indexed by (channel, step); a ratio is
    NaN where its denominator is 0, and so is a step a channel has no row for.
    """
    channel_codes, channels = pd.factorize(sums_by_step.index.get_level_values(0), sort=True)
    step_codes, steps = pd.factorize(sums_by_step.index.get_level_values(1), sort=True)
    wide = np.full((len(channels) * len(metrics), len(steps)), np.nan)
    for position, name in enumerate(metrics):
        values = METRICS[name].value(sums_by_step)
        wide[channel_codes * len(metrics) + position, step_codes] = values.to_numpy("float64")
    index = pd.MultiIndex.from_product([channels, list(metrics)], names=["channel", "metric"])
    return pd.DataFrame(wide, index=index, columns=steps)


def weekly_rows(sums: pd.DataFrame, level: str, metrics=TREND_METRICS) -> pd.DataFrame:
    """``metric_rows`` of the complete ISO weeks (all seven days inside the period)."""
    return metric_rows(_weekly_sums(sums, level), metrics)


def weekly_sparklines(weekly: pd.DataFrame) -> dict[tuple[str, str], list[float | None]]:
    """(channel, metric) of ``weekly_rows`` → the last weeks' values, oldest first."""
    values = weekly.to_numpy()[:, -SPARKLINE_WEEKS:]
    return {
        key: [_none_for_nan(v) for v in row]
        for key, row in zip(weekly.index.to_list(), values, strict=True)
    }


def _none_for_nan(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def _active_share(values: np.ndarray) -> np.ndarray:
    """Per row: the share of steps with a non-zero value (missing counts as inactive)."""
    if values.shape[1] == 0:
        return np.zeros(len(values))
    return (np.nan_to_num(values) != 0).mean(axis=1)


SPARSE = asdict(TrendResult(0, *[np.nan] * 6, "flat", 0.0, "none")) | {"direction": "sparse"}


def trend_calls(
    sums: pd.DataFrame,
    level: str,
    metrics=TREND_METRICS,
    alpha: float = 0.05,
    weekly: pd.DataFrame | None = None,
):
    """Trend test per (channel, metric) of the daily series built from per-day sums.

    Mann–Kendall's tie correction breaks down on mostly-zero series (a handful of
    orders a month gives absurd p-values), so a series active on fewer than
    ``MIN_ACTIVE_SHARE`` of its days is tested on its complete ISO weeks instead (sum
    over sum, no seasonal adjustment), and one that is sparse even weekly is not
    called at all (``direction`` "sparse"). ``grain`` says which series was tested.
    All series of one grain are tested together (``trend_tests``). ``weekly`` is
    ``weekly_rows`` of the same sums, when the caller has it already.
    """
    daily = metric_rows(sums.set_index([level, "day"]), metrics)
    if weekly is None:
        weekly = weekly_rows(sums, level, metrics)
    weekly = weekly.reindex(daily.index)
    by_day = _active_share(daily.to_numpy()) >= MIN_ACTIVE_SHARE
    by_week = ~by_day & (_active_share(weekly.to_numpy()) >= MIN_ACTIVE_SHARE)
    results = [dict(SPARSE, grain="week") for _ in range(len(daily))]
    for grain, chosen, values, period in (
        ("day", by_day, daily, 7),
        ("week", by_week, weekly, 1),
    ):
        rows = np.flatnonzero(chosen)
        if len(rows):
            tested = trend_tests(values.to_numpy()[rows], period=period, alpha=alpha)
            for row, result in zip(rows, tested, strict=True):
                results[row] = {"grain": grain, **asdict(result)}
    keys = pd.DataFrame(daily.index.to_list(), columns=["channel", "metric"])
    return pd.concat([keys, pd.DataFrame(results, index=keys.index)], axis=1)


@memoise(periods=with_comparisons)
def build_trends(
    period: Period,
    level: str = "category",
    filters: Filters | None = None,
    metrics=TREND_METRICS,
    alpha: float = 0.05,
    url: str | None = None,
) -> TrendsView:
    """Trend table of every channel at ``level`` and every metric, strongest rise first."""
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise AnalyticsError(f"unknown metric(s) {unknown}")
    month = last_complete_month(period)
    compared = _compared(month) if month else ()
    prefetch_rollups([(period, ("day", level)), *((m, (level,)) for m in compared)], filters, url)
    sums = daily_sums(period, level, filters, url)
    if sums.empty:
        return TrendsView(
            period,
            level,
            month,
            pd.DataFrame(columns=TREND_COLUMNS),
            pd.DataFrame(columns=WEEKLY_COLUMNS),
        )
    totals = {
        name: rollup_sums(span, (level,), filters, url)
        for name, span in zip(("now", "prior", "yoy"), compared, strict=False)
    }
    table, weekly = trend_table(sums, level, totals, metrics, alpha)
    return TrendsView(period, level, month, table, weekly)


def trend_table(
    sums: pd.DataFrame,
    level: str,
    month_totals: dict[str, pd.DataFrame],
    metrics=TREND_METRICS,
    alpha: float = 0.05,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The trend table (``TREND_COLUMNS``, strongest rise first) and the weekly values
    (``WEEKLY_COLUMNS``) of ``daily_sums`` and the ``month_totals`` ``month_changes`` reads."""
    names = sums.drop_duplicates(level).set_index(level)[f"{level}_name"]
    weekly = weekly_rows(sums, level, metrics)
    totals = sums.groupby(level)[list(ADDITIVE_MEASURES)].sum()
    values = pd.DataFrame({name: METRICS[name].value(totals) for name in metrics}).stack()
    changes = month_changes(month_totals, level, list(metrics))
    table = trend_calls(sums, level, metrics, alpha, weekly)
    # Looked up by (channel, metric) rather than merged: merges on string keys cost more
    # than every other step of the table.
    keys = list(zip(table["channel"], table["metric"], strict=True))
    for column, by_key, dtype in (
        ("mom", changes["mom"].to_dict(), "float64"),
        ("yoy", changes["yoy"].to_dict(), "float64"),
        ("sparkline", weekly_sparklines(weekly), object),
        ("value", values.to_dict(), "float64"),
    ):
        table[column] = pd.Series(
            [by_key.get(key, np.nan) for key in keys], index=table.index, dtype=dtype
        )
    table["channel_name"] = table["channel"].map(names)
    table["metric_label"] = table["metric"].map(lambda m: METRICS[m].label)
    table["relative_slope"] = table["relative_slope"] * 100
    table = table.sort_values(
        ["strength", "channel_name", "metric"], ascending=[False, True, True], kind="stable"
    )
    long = weekly_values(weekly).assign(channel_name=lambda f: f["channel"].map(names))
    return table[TREND_COLUMNS].reset_index(drop=True), long[WEEKLY_COLUMNS]


def weekly_values(weekly: pd.DataFrame) -> pd.DataFrame:
    """``channel, metric, week, value`` for every complete ISO week of ``weekly_rows``."""
    weeks = weekly.columns
    return pd.DataFrame(
        {
            "channel": np.repeat(weekly.index.get_level_values("channel"), len(weeks)),
            "metric": np.repeat(weekly.index.get_level_values("metric"), len(weeks)),
            "week": np.tile(weeks.to_numpy(), len(weekly)),
            "value": weekly.to_numpy().ravel(),
        },
        columns=["channel", "metric", "week", "value"],
    )
