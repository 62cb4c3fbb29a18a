"""``shesd``: flagged by Seasonal Hybrid ESD (``analytics.anomaly.shesd``; params ``max_anoms``,
``alpha``) on a window of the latest buckets."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.alerts.buckets import buckets_back
from analytics.alerts.kinds.band import DIRECTIONS
from analytics.alerts.kinds.band import WANTED
from analytics.alerts.kinds.base import RuleKind
from analytics.alerts.kinds.base import Verdict
from analytics.anomaly import shesd_flags
from analytics.anomaly.shesd import periodic_stl
from analytics.errors import AnalyticsError

SHESD_WINDOW = {"day": (84, 7), "week": (156, 52), "month": (36, 12)}  # (buckets, period)


def shesd_baseline(values: np.ndarray, period: int) -> float:
    """What S-H-ESD measures the last point against: its seasonal component plus the median of
    the window (the residual it tests is the distance from this), so an alert's direction and
    its expected value always agree."""
    seasonal, _trend = periodic_stl(values, period)
    return float(seasonal[-1] + np.median(values))


class Shesd(RuleKind):
    name = "shesd"
    label = "Automatic: seasonal hybrid ESD"
    automatic = True

    def history_start(self, rule, bucket):
        return buckets_back(bucket.start, rule.grain, SHESD_WINDOW[rule.grain][0])

    def judge(self, rule, series, bucket, target):
        if series.empty or series.index[-1] != pd.Timestamp(bucket.start):
            return None
        size, period = SHESD_WINDOW[rule.grain]
        window = series.iloc[-size:]
        if len(window) < size or window.isna().any():
            return None
        try:
            flags = shesd_flags(
                window,
                period,
                max_anoms=float(rule.params.get("max_anoms", 0.1)),
                alpha=float(rule.params.get("alpha", 0.05)),
                direction=WANTED.get(rule.direction, "both"),
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
            DIRECTIONS.get(last["direction"]) if hit else None,
        )

    def expectation(self, rule, frame):
        size, period = SHESD_WINDOW[rule.grain]
        window = frame["observed"].iloc[-size:]
        if window.isna().any() or len(window) < 2 * period:
            return
        try:
            flags = shesd_flags(window, period)
        except AnalyticsError:
            return
        frame.loc[flags.index, "expected"] = flags["expected"]


SHESD = Shesd()
