"""``target_deviation``: the relative deviation from the target, (observed − target) / target,
at or beyond ``threshold`` (a fraction: 0.1 = 10 %) in the rule's direction."""

from __future__ import annotations

from analytics.alerts.kinds.base import RelativeKind
from analytics.alerts.kinds.base import scope_target
from analytics.errors import AnalyticsError
from analytics.metrics import METRICS


class TargetDeviation(RelativeKind):
    name = "target_deviation"
    label = "% deviation from target"

    def validate(self, rule):
        super().validate(rule)
        placed = rule["region_code"] or rule["location_code"]
        if placed and not METRICS[rule["metric"]].is_ratio:
            raise AnalyticsError(
                "targets are set per channel, not per region or store: a target_deviation rule "
                "on a region or store needs a ratio metric (conversion rate, AOV, margin …)"
            )

    def target(self, rule, bucket, url=None):
        return scope_target(rule, bucket, url)

    def base(self, rule, series, bucket, target):
        return target, None


TARGET_DEVIATION = TargetDeviation()
