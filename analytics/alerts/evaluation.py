"""Judging rules against the daily rollup: metric series per rule, one verdict per rule and bucket.

A rule is judged on its grain's **latest complete bucket** as of a day: the day itself, the
Monday–Sunday week ending on or before it, or the calendar month ending on or before it. After an
ingest batch the as-of day is the last day with orders (connectors load closed days), and only the
rules whose latest complete bucket holds a touched day are judged.

How a rule is judged is up to its kind (``analytics.alerts.kinds``). All rules are judged from
one read of the rollup (``rollup_sums`` by day × touchpoint, plus one by day × touchpoint ×
region × location when some rule is placed in a region or store), so the time does not grow
with the number of orders, only with days × touchpoints.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analytics.alerts.buckets import bucket_of
from analytics.alerts.buckets import buckets_back
from analytics.alerts.kinds import RULE_KINDS
from analytics.alerts.kinds.base import Verdict
from analytics.alerts.rules import RuleInfo
from analytics.metrics import BASE_MEASURES
from analytics.metrics import get_metric
from analytics.periods import Period
from analytics.periods import bucket_start
from analytics.rollup import Filters
from analytics.rollup import channel_options
from analytics.rollup import rollup_sums

MEASURES = (*BASE_MEASURES, "revenue", "gross_profit")


def judge(
    rule: RuleInfo, series: pd.Series, bucket: Period, target: float | None = None
) -> Verdict | None:
    """The verdict on ``bucket`` from the rule's metric series (bucket starts → value, history
    up to and including the bucket); None when it cannot be judged (no value, no target, too
    little history)."""
    series = series[series.index <= pd.Timestamp(bucket.start)]
    return RULE_KINDS[rule.kind].judge(rule, series, bucket, target)


def history_start(rule: RuleInfo, bucket: Period) -> dt.date:
    """The first day a rule's judgement on ``bucket`` can depend on (a bucket start)."""
    return RULE_KINDS[rule.kind].history_start(rule, bucket)


def comparison_bucket(rule: RuleInfo, bucket: Period) -> Period:
    """What the bucket is compared with: the change rule's comparison, else the bucket a cycle
    before (the same weekday last week for days, the previous week or month otherwise)."""
    return RULE_KINDS[rule.kind].comparison(rule, bucket)


def rule_target(rule: RuleInfo, bucket: Period, url: str | None = None) -> float | None:
    """The target a rule compares with for the bucket (None for kinds that compare with none)."""
    return RULE_KINDS[rule.kind].target(rule, bucket, url)


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
    RULE_KINDS[rule.kind].expectation(rule, frame)
    return frame.iloc[-buckets:].rename_axis("ds").reset_index()
