"""``threshold``: the metric at or above (``above``) / at or below (``below``) ``threshold``."""

from __future__ import annotations

from analytics.alerts.kinds.base import ValueKind
from analytics.alerts.kinds.base import Verdict
from analytics.alerts.kinds.base import rounded
from analytics.errors import AnalyticsError


class Threshold(ValueKind):
    name = "threshold"
    label = "Absolute threshold"
    needs_threshold = True

    def validate(self, rule):
        if rule["direction"] == "both":
            raise AnalyticsError("a threshold rule fires either above or below its value")
        super().validate(rule)

    def judge_value(self, rule, observed, series, bucket, target):
        limit = float(rule.threshold)
        if rule.direction == "above":
            hit = rounded(observed) >= rounded(limit)
            return Verdict(hit, observed, limit, None, limit, "above" if hit else None)
        hit = rounded(observed) <= rounded(limit)
        return Verdict(hit, observed, limit, limit, None, "below" if hit else None)

    def expectation(self, rule, frame):
        frame["expected"] = float(rule.threshold)
        frame["lower" if rule.direction == "below" else "upper"] = float(rule.threshold)


THRESHOLD = Threshold()
