"""``band``: outside the learned expected band (``analytics.anomaly.band``; params ``k``, and
``scale`` = ``linear`` / ``log`` to choose the scale the band is learned on)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analytics.alerts.buckets import buckets_back
from analytics.alerts.kinds.base import RuleKind
from analytics.alerts.kinds.base import Verdict
from analytics.anomaly import evaluate_latest
from analytics.anomaly import expected_band
from analytics.errors import AnalyticsError
from analytics.metrics import get_metric

# Buckets of history a judgement reads (the detector replays a tail of 253 for daily data).
BAND_HISTORY = {"day": 260, "week": 260, "month": 60}
BAND_PERIOD = {"day": 7, "week": None, "month": None}
WANTED = {"above": "pos", "below": "neg"}
DIRECTIONS = {"pos": "above", "neg": "below"}


def band_on_log_scale(rule, series) -> bool:
    """Whether the band is learned on log(1 + y): by default for counts and money that are never
    negative, whose noise grows with the level (a band as wide on a quiet weekday as on a busy
    Saturday would miss a halved weekday); params ``scale`` = ``linear`` turns it off."""
    scale = rule.params.get("scale", "auto")
    if scale == "linear" or get_metric(rule.metric).is_ratio and scale != "log":
        return False
    return bool((series.dropna() >= 0).all())


def _scaled(rule, series: pd.Series) -> tuple[bool, pd.Series, dict]:
    """Whether the band is learned on the log scale, the series on that scale, and the
    detector's options."""
    log_scale = band_on_log_scale(rule, series)
    options = {"period": BAND_PERIOD[rule.grain], "k": float(rule.params.get("k", 3.0))}
    return log_scale, np.log1p(series) if log_scale else series, options


class Band(RuleKind):
    name = "band"
    label = "Automatic: expected band"
    automatic = True

    def history_start(self, rule, bucket):
        return buckets_back(bucket.start, rule.grain, BAND_HISTORY[rule.grain])

    def judge(self, rule, series, bucket, target):
        if series.empty or series.index[-1] != pd.Timestamp(bucket.start):
            return None
        try:
            log_scale, scaled, options = _scaled(rule, series)
            verdict = evaluate_latest(scaled, **options)
        except AnalyticsError:
            return None
        if math.isnan(verdict.observed) or math.isnan(verdict.lower):
            return None
        back = np.expm1 if log_scale else float
        wanted = WANTED.get(rule.direction)
        hit = verdict.is_anomaly and (wanted is None or verdict.direction == wanted)
        return Verdict(
            hit,
            float(back(verdict.observed)),
            float(back(verdict.expected)),
            float(back(verdict.lower)),
            float(back(verdict.upper)),
            DIRECTIONS.get(verdict.direction) if hit else None,
        )

    def expectation(self, rule, frame):
        try:
            log_scale, scaled, options = _scaled(rule, frame["observed"])
            band = expected_band(scaled, **options)[["expected", "lower", "upper"]]
        except AnalyticsError:
            return
        frame[["expected", "lower", "upper"]] = np.expm1(band) if log_scale else band


BAND = Band()
