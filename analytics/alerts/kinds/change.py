"""``change``: the relative change vs the comparison bucket (``prior`` or ``yoy``), at or beyond
``threshold`` (a fraction: 0.1 = 10 %) in the rule's direction."""

from __future__ import annotations

from analytics.alerts.buckets import previous_bucket
from analytics.alerts.buckets import shifted
from analytics.alerts.kinds.base import RelativeKind
from analytics.alerts.kinds.base import choice
from analytics.alerts.kinds.base import value_at
from analytics.periods import COMPARISONS


class Change(RelativeKind):
    name = "change"
    label = "% change vs comparison"

    def validate(self, rule):
        comparison = rule["comparison"]
        super().validate(rule)
        rule["comparison"] = choice("comparison", comparison or "prior", COMPARISONS)

    def comparison(self, rule, bucket):
        """The bucket before (``prior``), or the same bucket a year earlier (``yoy``: for weeks
        52 weeks earlier, so weekdays line up)."""
        if rule.comparison == "yoy":
            return shifted(bucket, 364) if rule.grain == "week" else bucket.last_year()
        return previous_bucket(bucket, rule.grain)

    def history_start(self, rule, bucket):
        return self.comparison(rule, bucket).start

    def base(self, rule, series, bucket, target):
        compared = self.comparison(rule, bucket)
        return value_at(series, compared.start), compared


CHANGE = Change()
