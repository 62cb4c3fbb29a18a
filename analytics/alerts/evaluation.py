"""Judging rules against the daily rollup: metric series per rule, one verdict per rule and bucket.

A rule is judged on its grain's **latest complete bucket** as of a day: the day itself, the
Monday–Sunday week ending on or before it, or the calendar month ending on or before it. After an
ingest batch the as-of day is the last day with orders (connectors load closed days), and only the
rules whose latest complete bucket holds a touched day are judged.

All rules are judged from one read of the rollup (``rollup_sums`` by day × touchpoint, plus one by
day × touchpoint × region × location when some rule is placed in a region or store), so the time
does not grow with the number of orders, only with days × touchpoints.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.alerts.rules import PRECISION, RuleInfo
from analytics.anomaly import evaluate_latest, expected_band, shesd_flags
from analytics.anomaly.shesd import periodic_stl
from analytics.errors import AnalyticsError
from analytics.metrics import BASE_MEASURES, get_metric
from analytics.periods import Period, bucket_start
from analytics.prorated_targets import target_for
from analytics.rollup import Filters, channel_options, rollup_sums
from analytics.targets import scope_id

# Buckets of history a band judgement reads (the detector replays a tail of 253 for daily data).
BAND_HISTORY = {"day": 260, "week": 260, "month": 60}
SHESD_WINDOW = {"day": (84, 7), "week": (156, 52), "month": (36, 12)}  # (buckets, period)
BAND_PERIOD = {"day": 7, "week": None, "month": None}
MEASURES = (*BASE_MEASURES, "revenue", "gross_profit")


@dataclass(frozen=True)
class Verdict:
    """A rule's judgement on one bucket; lower/upper bound the normal range (None: unbounded)."""

    breach: bool
    observed: float | None
    expected: float | None
    lower: float | None
    upper: float | None
    direction: str | None  # above | below when breached
    comparison: Period | None = None


def latest_complete_bucket(as_of: dt.date, grain: str) -> Period:
    if grain == "day":
        return Period(as_of, as_of)
    if grain == "week":
        end = as_of - dt.timedelta(days=(as_of.weekday() + 1) % 7)
        return Period(end - dt.timedelta(days=6), end)
    if grain == "month":
        next_day = as_of + dt.timedelta(days=1)
        end = as_of if next_day.month != as_of.month else as_of.replace(day=1) - dt.timedelta(1)
        return Period(end.replace(day=1), end)
    raise AnalyticsError(f"unknown rule grain {grain!r}")


def bucket_of(day: dt.date, grain: str) -> dt.date:
    """The first day of the bucket holding ``day``."""
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def previous_bucket(bucket: Period, grain: str) -> Period:
    if grain == "month":
        end = bucket.start - dt.timedelta(days=1)
        return Period(end.replace(day=1), end)
    return bucket.prior()


def comparison_bucket(rule: RuleInfo, bucket: Period) -> Period:
    """What the bucket is compared with: the change rule's comparison, else the bucket a cycle
    before (the same weekday last week for days, the previous week or month otherwise)."""
    if rule.comparison == "yoy":
        if rule.grain == "week":
            shift = dt.timedelta(days=364)
            return Period(bucket.start - shift, bucket.end - shift)
        return bucket.last_year()
    if rule.grain == "day" and rule.kind != "change":
        shift = dt.timedelta(days=7)
        return Period(bucket.start - shift, bucket.end - shift)
    return previous_bucket(bucket, rule.grain)


def _round(value: float) -> float:
    return round(value, PRECISION)


def _finite(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _relative_breach(rule: RuleInfo, ratio: float, limit: float) -> str | None:
    ratio, limit = _round(ratio), _round(limit)
    if rule.direction in ("above", "both") and ratio >= limit:
        return "above"
    if rule.direction in ("below", "both") and ratio <= -limit:
        return "below"
    return None


def _at(series: pd.Series, start: dt.date) -> float | None:
    value = series.get(pd.Timestamp(start))
    return float(value) if _finite(value) else None


def judge(
    rule: RuleInfo, series: pd.Series, bucket: Period, target: float | None = None
) -> Verdict | None:
    """The verdict on ``bucket`` from the rule's metric series (bucket starts → value, history
    up to and including the bucket); None when it cannot be judged (no value, no target, too
    little history)."""
    series = series[series.index <= pd.Timestamp(bucket.start)]
    observed = _at(series, bucket.start)
    if rule.kind in ("band", "shesd"):
        return _automatic(rule, series, bucket)
    if observed is None:
        return None
    if rule.kind == "threshold":
        limit = float(rule.threshold)
        if rule.direction == "above":
            hit = _round(observed) >= _round(limit)
            return Verdict(hit, observed, limit, None, limit, "above" if hit else None)
        hit = _round(observed) <= _round(limit)
        return Verdict(hit, observed, limit, limit, None, "below" if hit else None)
    if rule.kind == "margin_below":
        limit = float(rule.threshold) if rule.threshold is not None else target
        if limit is None:
            return None
        hit = _round(observed) < _round(limit)
        return Verdict(hit, observed, limit, limit, None, "below" if hit else None)
    if rule.kind == "target_deviation":
        if not target:
            return None
        share = float(rule.threshold)
        direction = _relative_breach(rule, (observed - target) / abs(target), share)
        return Verdict(
            direction is not None,
            observed,
            target,
            target - share * abs(target),
            target + share * abs(target),
            direction,
        )
    if rule.kind == "change":
        compared = comparison_bucket(rule, bucket)
        base = _at(series, compared.start)
        if not base:
            return None
        share = float(rule.threshold)
        direction = _relative_breach(rule, (observed - base) / abs(base), share)
        return Verdict(
            direction is not None,
            observed,
            base,
            base - share * abs(base),
            base + share * abs(base),
            direction,
            compared,
        )
    raise AnalyticsError(f"unknown rule kind {rule.kind!r}")


_WANTED = {"above": "pos", "below": "neg"}


def _automatic(rule: RuleInfo, series: pd.Series, bucket: Period) -> Verdict | None:
    if series.empty or series.index[-1] != pd.Timestamp(bucket.start):
        return None
    try:
        if rule.kind == "band":
            log_scale = band_on_log_scale(rule, series)
            verdict = evaluate_latest(
                np.log1p(series) if log_scale else series,
                period=BAND_PERIOD[rule.grain],
                k=float(rule.params.get("k", 3.0)),
            )
            if math.isnan(verdict.observed) or math.isnan(verdict.lower):
                return None
            back = np.expm1 if log_scale else float
            wanted = _WANTED.get(rule.direction)
            hit = verdict.is_anomaly and (wanted is None or verdict.direction == wanted)
            return Verdict(
                hit,
                float(back(verdict.observed)),
                float(back(verdict.expected)),
                float(back(verdict.lower)),
                float(back(verdict.upper)),
                {"pos": "above", "neg": "below"}.get(verdict.direction) if hit else None,
            )
        size, period = SHESD_WINDOW[rule.grain]
        window = series.iloc[-size:]
        if len(window) < size or window.isna().any():
            return None
        flags = shesd_flags(
            window,
            period,
            max_anoms=float(rule.params.get("max_anoms", 0.1)),
            alpha=float(rule.params.get("alpha", 0.05)),
            direction=_WANTED.get(rule.direction, "both"),
        )
    except AnalyticsError:
        return None
    last = flags.iloc[-1]
    hit = bool(last["is_anomaly"])
    return Verdict(
        hit,
        float(last["observed"]),
        shesd_baseline(window.to_numpy(), period),
        None,
        None,
        {"pos": "above", "neg": "below"}.get(last["direction"]) if hit else None,
    )


def band_on_log_scale(rule: RuleInfo, series: pd.Series) -> bool:
    """Whether the band is learned on log(1 + y): by default for counts and money that are never
    negative, whose noise grows with the level (a band as wide on a quiet weekday as on a busy
    Saturday would miss a halved weekday); params ``scale`` = ``linear`` turns it off."""
    scale = rule.params.get("scale", "auto")
    if scale == "linear" or get_metric(rule.metric).is_ratio and scale != "log":
        return False
    return bool((series.dropna() >= 0).all())


def shesd_baseline(values: np.ndarray, period: int) -> float:
    """What S-H-ESD measures the last point against: its seasonal component plus the median of
    the window (the residual it tests is the distance from this), so an alert's direction and
    its expected value always agree."""
    seasonal, _trend = periodic_stl(values, period)
    return float(seasonal[-1] + np.median(values))


# --- reading the rollup once for many rules --------------------------------------------


def _placed(rule: RuleInfo) -> bool:
    return bool(rule.region_code or rule.location_code)


class RollupFrame:
    """Daily sums by touchpoint (and by region and store when needed) for a window of days."""

    def __init__(self, rules: list[RuleInfo], window: Period, url: str | None = None):
        self.window = window
        self._grouped: dict[str, pd.DataFrame] = {}
        categories = channel_options(url)
        self._category = dict(zip(categories["touchpoint"], categories["category"], strict=True))
        self.by_touchpoint = self._with_category(
            rollup_sums(window, by=("day", "touchpoint"), url=url)
        )
        placed = [r for r in rules if _placed(r)]
        self.by_place = None
        if placed:
            filters = Filters.of(
                regions=sorted({r.region_code for r in placed if r.region_code}),
                locations=sorted({r.location_code for r in placed if r.location_code}),
            )
            if filters.regions and filters.locations:
                filters = Filters()
            self.by_place = self._with_category(
                rollup_sums(
                    window, by=("day", "touchpoint", "region", "location"), filters=filters, url=url
                )
            )

    def _with_category(self, frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()  # rollup_sums results may be shared through the analytics cache
        frame["category"] = frame["touchpoint"].map(self._category)
        frame["day"] = pd.to_datetime(frame["day"])
        for grain in ("week", "month"):
            frame[grain] = bucket_start(frame["day"], grain)
        return frame

    def _sums_by_touchpoint(self, grain: str) -> pd.DataFrame:
        """Measures per bucket × touchpoint, summed once per grain and shared by the rules."""
        if grain not in self._grouped:
            frame = self.by_touchpoint
            self._grouped[grain] = frame.groupby([grain, "touchpoint"])[list(MEASURES)].sum()
        return self._grouped[grain]

    def _scope_sums(self, rule: RuleInfo) -> pd.DataFrame:
        if _placed(rule):
            frame = self.by_place
            mask = np.ones(len(frame), dtype=bool)
            if rule.scope_type != "total":
                mask &= (frame[rule.scope_type] == rule.scope_code).to_numpy()
            if rule.region_code:
                mask &= (frame["region"] == rule.region_code).to_numpy()
            if rule.location_code:
                mask &= (frame["location"] == rule.location_code).to_numpy()
            return frame[mask].groupby(rule.grain)[list(MEASURES)].sum()
        sums = self._sums_by_touchpoint(rule.grain)
        if rule.scope_type == "total":
            return sums.groupby(level=0).sum()
        if rule.scope_type == "touchpoint":
            wanted = [rule.scope_code]
        else:
            wanted = [tp for tp, cat in self._category.items() if cat == rule.scope_code]
        chosen = sums[sums.index.get_level_values("touchpoint").isin(wanted)]
        return chosen.groupby(level=0).sum()

    def series(self, rule: RuleInfo, end: dt.date, start: dt.date | None = None) -> pd.Series:
        """The rule's metric per bucket of its grain from the bucket holding ``start`` (default:
        the window's start) to the bucket holding ``end``, with empty buckets as zero sums."""
        first = start or self.window.start
        frequency = {"day": "D", "week": "W-MON", "month": "MS"}[rule.grain]
        index = pd.date_range(
            bucket_of(first, rule.grain), bucket_of(end, rule.grain), freq=frequency
        )
        sums = self._scope_sums(rule).reindex(index, fill_value=0.0)
        values = get_metric(rule.metric).value(sums)
        return pd.Series(values.to_numpy(dtype=float), index=index, name=rule.metric)


def buckets_back(start: dt.date, grain: str, count: int) -> dt.date:
    """The first day of the bucket ``count`` buckets before the one starting on ``start``."""
    if grain == "day":
        return start - dt.timedelta(days=count)
    if grain == "week":
        return start - dt.timedelta(days=7 * count)
    index = start.year * 12 + start.month - 1 - count
    return dt.date(index // 12, index % 12 + 1, 1)


def history_start(rule: RuleInfo, bucket: Period) -> dt.date:
    """The first day a rule's judgement on ``bucket`` can depend on (a bucket start)."""
    if rule.kind == "band":
        return buckets_back(bucket.start, rule.grain, BAND_HISTORY[rule.grain])
    if rule.kind == "shesd":
        return buckets_back(bucket.start, rule.grain, SHESD_WINDOW[rule.grain][0])
    if rule.kind == "change":
        return comparison_bucket(rule, bucket).start
    return bucket.start


def rule_target(rule: RuleInfo, bucket: Period, url: str | None = None) -> float | None:
    """The target a target_deviation or margin_below rule compares with, for the bucket."""
    if rule.kind not in ("target_deviation", "margin_below"):
        return None
    if rule.kind == "margin_below" and rule.threshold is not None:
        return None
    scope = scope_id(rule.scope_type, rule.scope_code or None, url)
    return target_for(rule.metric, bucket, rule.scope_type, scope, url)


def metric_history(
    rule: RuleInfo, end: dt.date, buckets: int = 90, url: str | None = None
) -> pd.DataFrame:
    """The rule's metric for the ``buckets`` buckets up to the one holding ``end``, with what the
    rule expected: columns ``ds, observed, expected, lower, upper`` (NaN where it has no view).

    Band rules show the learned band judged one step ahead; S-H-ESD rules the STL expectation of
    the last window; threshold and margin rules their fixed limit.
    """
    last = bucket_of(end, rule.grain)
    first = min(history_start(rule, Period(last, end)), buckets_back(last, rule.grain, buckets - 1))
    data = RollupFrame([rule], Period(first, end), url)
    series = data.series(rule, end, first)
    frame = pd.DataFrame({"observed": series})
    frame[["expected", "lower", "upper"]] = np.nan
    try:
        if rule.kind == "band":
            log_scale = band_on_log_scale(rule, series)
            band = expected_band(
                np.log1p(series) if log_scale else series,
                period=BAND_PERIOD[rule.grain],
                k=float(rule.params.get("k", 3.0)),
            )[["expected", "lower", "upper"]]
            frame[["expected", "lower", "upper"]] = np.expm1(band) if log_scale else band
        elif rule.kind == "shesd":
            size, period = SHESD_WINDOW[rule.grain]
            window = series.iloc[-size:]
            if not window.isna().any() and len(window) >= 2 * period:
                flags = shesd_flags(window, period)
                frame.loc[flags.index, "expected"] = flags["expected"]
    except AnalyticsError:
        pass
    if rule.kind == "threshold":
        frame["expected"] = float(rule.threshold)
        frame["lower" if rule.direction == "below" else "upper"] = float(rule.threshold)
    elif rule.kind == "margin_below" and rule.threshold is not None:
        frame["expected"] = frame["lower"] = float(rule.threshold)
    return frame.iloc[-buckets:].rename_axis("ds").reset_index()
