"""``margin_below``: margin % strictly below the margin threshold (the ``margin_pct`` target for
the bucket, or the rule's own ``threshold`` when set); a margin exactly at it is acceptable."""

from __future__ import annotations

from analytics.alerts.kinds.base import ValueKind
from analytics.alerts.kinds.base import Verdict
from analytics.alerts.kinds.base import rounded
from analytics.alerts.kinds.base import scope_target
from analytics.errors import AnalyticsError


class MarginBelow(ValueKind):
    name = "margin_below"
    label = "Margin below threshold"
    default_metric = "margin_pct"
    default_direction = "below"

    def validate(self, rule):
        if rule["metric"] != "margin_pct":
            raise AnalyticsError("a margin_below rule watches the margin_pct metric")
        rule["direction"] = "below"
        super().validate(rule)

    def target(self, rule, bucket, url=None):
        return None if rule.threshold is not None else scope_target(rule, bucket, url)

    def judge_value(self, rule, observed, series, bucket, target):
        limit = float(rule.threshold) if rule.threshold is not None else target
        if limit is None:
            return None
        hit = rounded(observed) < rounded(limit)
        return Verdict(hit, observed, limit, limit, None, "below" if hit else None)

    def expectation(self, rule, frame):
        if rule.threshold is not None:
            frame["expected"] = frame["lower"] = float(rule.threshold)


MARGIN_BELOW = MarginBelow()
