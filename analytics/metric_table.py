"""A metric for a period, by channel, place or time bucket, against its comparison periods.

``metric_table`` is what the metrics API, ``channelperf metrics`` and the pages
read. Every value is the metric of summed base measures (``Metric.value``), so
a ratio is sum-over-sum for its row. Time buckets follow
``analytics.periods.bucket_start`` (ISO weeks, fiscal quarters); each bucket is compared
with a range as long in the prior period (``analytics.periods.prior_buckets``) and with the
same dates last year (``Period.last_year``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from analytics.cache import memoise
from analytics.errors import AnalyticsError
from analytics.metrics import BASE_MEASURES
from analytics.metrics import Metric
from analytics.metrics import get_metric
from analytics.metrics import with_derived
from analytics.periods import Period
from analytics.periods import buckets
from analytics.periods import compare_periods
from analytics.periods import fiscal_quarter_number
from analytics.periods import prior_buckets
from analytics.rollup import Filters
from analytics.rollup import rollup_sums

# ``by`` value -> rollup dimension.
BY_DIMENSIONS = {
    "channel": "category",
    "touchpoint": "touchpoint",
    "region": "region",
    "location": "location",
}
TIME_GRAINS = ("day", "week", "month", "quarter")
BY_CHOICES = (*BY_DIMENSIONS, *TIME_GRAINS)


def _covered_periods(arguments: Mapping[str, Any]) -> list[Period]:
    period = arguments["period"]
    return [period, *compare_periods(period, arguments["compare"]).values()]


@memoise(periods=_covered_periods)
def metric_table(
    metric: str,
    by: str,
    period: Period,
    compare: Sequence[str] = ("prior", "yoy"),
    filters: Filters | None = None,
    grain: str | None = None,
    fiscal_start_month: int = 1,
    url: str | None = None,
) -> pd.DataFrame:
    """One row per channel / touchpoint / region / store and, with a time grain, per bucket.

    ``by`` is a dimension (channel = category, touchpoint, region, location) or a
    time grain (day, week, month, quarter); ``grain`` splits a dimension by time.
    Columns: ``key``, ``label``, (``bucket`` when time-bucketed), ``start``, ``end``,
    ``value`` and per comparison ``c``: ``c_start``, ``c_end``, ``c_value``,
    ``c_change`` (absolute) and ``c_change_pct`` (relative; NaN when the
    comparison is zero or missing). Values are NaN where a ratio divides by zero.
    """
    definition = get_metric(metric)
    if by not in BY_CHOICES:
        raise AnalyticsError(f"unknown by {by!r}; use one of {', '.join(BY_CHOICES)}")
    if grain is not None and grain not in TIME_GRAINS:
        raise AnalyticsError(f"unknown grain {grain!r}; use one of {', '.join(TIME_GRAINS)}")
    if by in TIME_GRAINS:
        if grain not in (None, by):
            raise AnalyticsError(f"by {by!r} already is a time grain; leave grain out")
        grain, dimension = by, None
    else:
        dimension = BY_DIMENSIONS[by]
    filters = filters or Filters()
    comparisons = compare_periods(period, compare)
    if grain is None:
        frame = _by_dimension(definition, dimension, period, comparisons, filters, url)
    else:
        frame = _by_bucket(
            definition, dimension, grain, period, comparisons, filters, fiscal_start_month, url
        )
    for name in comparisons:
        previous = frame[f"{name}_value"]
        frame[f"{name}_change"] = frame["value"] - previous
        frame[f"{name}_change_pct"] = frame[f"{name}_change"] / previous.abs().where(previous != 0)
    return frame


def _by_dimension(
    definition: Metric,
    dimension: str,
    period: Period,
    comparisons: dict[str, Period],
    filters: Filters,
    url: str | None,
) -> pd.DataFrame:
    periods = {"value": period} | comparisons
    sums = {
        name: rollup_sums(p, (dimension,), filters, url).set_index(dimension)
        for name, p in periods.items()
    }
    labels = pd.concat([s[f"{dimension}_name"] for s in sums.values()])
    labels = labels[~labels.index.duplicated()]
    frame = pd.DataFrame({"key": labels.index.astype(str), "label": labels.to_numpy()})
    frame["start"], frame["end"] = period.start, period.end
    for name, summed in sums.items():
        aligned = summed[list(BASE_MEASURES)].reindex(labels.index, fill_value=0.0)
        column = "value" if name == "value" else f"{name}_value"
        if name != "value":
            frame[f"{name}_start"], frame[f"{name}_end"] = periods[name].start, periods[name].end
        frame[column] = definition.value(with_derived(aligned)).to_numpy()
    order = frame.sort_values(["value", "key"], ascending=[False, True], na_position="last").index
    return frame.loc[order].reset_index(drop=True)


def bucket_label(start: dt.date, grain: str, fiscal_start_month: int = 1) -> str:
    """2024-02-29, 2024-W09, 2024-02, Q1 2024 / Q4 FY2024."""
    if grain == "day":
        return start.isoformat()
    if grain == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if grain == "month":
        return f"{start:%Y-%m}"
    number, year = fiscal_quarter_number(start, fiscal_start_month)
    return f"Q{number} {year}" if fiscal_start_month == 1 else f"Q{number} FY{year}"


def _range_sums(
    daily: pd.DataFrame, span: Period, ranges: list[Period | None], dimension: str | None
) -> dict[str, pd.DataFrame]:
    """Per dimension code, the summed base measures of each range (NaN for a missing range)."""
    groups = daily.groupby(dimension, sort=False) if dimension else [("", daily)]
    starts = np.array([(r.start - span.start).days if r else 0 for r in ranges], dtype=int)
    ends = np.array([(r.end - span.start).days + 1 if r else 0 for r in ranges], dtype=int)
    missing = np.array([r is None for r in ranges])
    out = {}
    for code, rows in groups:
        totals = np.zeros((span.days + 1, len(BASE_MEASURES)))
        offsets = (pd.to_datetime(rows["day"]) - pd.Timestamp(span.start)).dt.days.to_numpy()
        np.add.at(totals, offsets + 1, rows[list(BASE_MEASURES)].to_numpy(dtype=float))
        cumulative = totals.cumsum(axis=0)
        sums = np.round(cumulative[ends] - cumulative[starts], 2)
        sums[missing] = np.nan
        out[str(code)] = pd.DataFrame(sums, columns=list(BASE_MEASURES))
    return out


def _by_bucket(
    definition: Metric,
    dimension: str | None,
    grain: str,
    period: Period,
    comparisons: dict[str, Period],
    filters: Filters,
    fiscal_start_month: int,
    url: str | None,
) -> pd.DataFrame:
    current = buckets(period, grain, fiscal_start_month)
    ranges: dict[str, list[Period | None]] = {"value": list(current)}
    for name in comparisons:
        if name == "yoy":
            ranges[name] = [b.last_year() for b in current]
        else:
            ranges[name] = prior_buckets(period, grain, fiscal_start_month)
    # Each comparison read covers its ranges: weeks moved back may start before the prior
    # period does, a whole month last year end after the period's last year (29 February).
    spans = {"value": period} | {
        name: Period(min(r.start for r in ranges[name] if r), max(r.end for r in ranges[name] if r))
        if any(ranges[name])
        else other
        for name, other in comparisons.items()
    }
    by = ("day", dimension) if dimension else ("day",)
    sums, labels = {}, {}
    for name, span in spans.items():
        daily = rollup_sums(span, by, filters, url)
        if dimension:
            labels |= dict(
                zip(daily[dimension].astype(str), daily[f"{dimension}_name"], strict=True)
            )
        sums[name] = _range_sums(daily, span, ranges[name], dimension)
    codes = sorted(labels) if dimension else [""]
    if not codes:  # a breakdown with no data at all in any of the periods
        columns = ["key", "label", "bucket", "start", "end", "value"]
        for name in comparisons:
            columns += [f"{name}_start", f"{name}_end", f"{name}_value"]
        return pd.DataFrame(
            {c: pd.Series(dtype=float if "value" in c else object) for c in columns}
        )
    empty = pd.DataFrame(0.0, index=range(len(current)), columns=list(BASE_MEASURES))
    bucket_labels = [bucket_label(b.start, grain, fiscal_start_month) for b in current]
    calendar = {"bucket": bucket_labels, "start": [b.start for b in current]}
    calendar["end"] = [b.end for b in current]
    for name in comparisons:
        calendar[f"{name}_start"] = [r.start if r else None for r in ranges[name]]
        calendar[f"{name}_end"] = [r.end if r else None for r in ranges[name]]
    present = {name: np.array([r is not None for r in ranges[name]]) for name in comparisons}
    frames = []
    for code in codes:
        frame = pd.DataFrame(calendar)
        if dimension:
            frame.insert(0, "key", code)
            frame.insert(1, "label", labels.get(code))
        else:
            frame.insert(0, "key", [b.start.isoformat() for b in current])
            frame.insert(1, "label", bucket_labels)
        frame["value"] = definition.value(with_derived(sums["value"].get(code, empty))).to_numpy()
        for name in comparisons:
            measured = sums[name].get(code, empty).copy()
            measured.loc[~present[name]] = np.nan
            frame[f"{name}_value"] = definition.value(with_derived(measured)).to_numpy()
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
