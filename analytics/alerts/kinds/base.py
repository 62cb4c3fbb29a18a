"""What a rule kind is: how its rules are validated, how much history a judgement reads, what a
bucket is compared with, and the judgement itself.

Every limit is inclusive unless a kind says otherwise, compared at ``PRECISION`` decimal places
so a value exactly at a limit fires whatever the float noise.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

import pandas as pd

from analytics.alerts.buckets import a_cycle_before
from analytics.errors import AnalyticsError
from analytics.periods import Period
from analytics.prorated_targets import target_for
from analytics.targets import scope_id

if TYPE_CHECKING:
    from analytics.alerts.rules import RuleInfo

PRECISION = 9


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


class RuleKind:
    """One kind of alert rule. Subclasses set the attributes and override what differs."""

    name: str
    label: str
    # The rule carries a threshold (a fraction, 0.1 = 10 %, when ``percent``).
    needs_threshold = False
    percent = False
    # Learned from the series itself: the rule keeps no threshold.
    automatic = False
    default_metric: str | None = None
    default_direction = "both"

    def validate(self, rule: dict[str, Any]) -> None:
        """Kind-specific checks and settings on the rule's validated columns (AnalyticsError)."""
        if self.needs_threshold and rule["threshold"] is None:
            raise AnalyticsError(f"a {self.name} rule needs a threshold")
        if self.percent and rule["threshold"] is not None and rule["threshold"] <= 0:
            raise AnalyticsError("the threshold of a % rule is a positive fraction (0.1 = 10 %)")
        if self.automatic:
            rule["threshold"] = None

    def history_start(self, rule: RuleInfo, bucket: Period) -> dt.date:
        """The first day a judgement on ``bucket`` can depend on (a bucket start)."""
        return bucket.start

    def comparison(self, rule: RuleInfo, bucket: Period) -> Period:
        """What the bucket is compared with in an alert's breakdown."""
        return a_cycle_before(bucket, rule.grain)

    def target(self, rule: RuleInfo, bucket: Period, url: str | None = None) -> float | None:
        """The target the judgement compares with, for kinds that compare with one."""
        return None

    def judge(
        self, rule: RuleInfo, series: pd.Series, bucket: Period, target: float | None
    ) -> Verdict | None:
        """The verdict on ``bucket`` from the rule's metric series up to and including it; None
        when it cannot be judged."""
        raise NotImplementedError

    def expectation(self, rule: RuleInfo, frame: pd.DataFrame) -> None:
        """Fill ``frame``'s ``expected, lower, upper`` from its ``observed`` history with what
        the rule expected (left NaN where it has no view)."""


class ValueKind(RuleKind):
    """A kind that judges the bucket's own value: no value, no verdict."""

    def judge(
        self, rule: RuleInfo, series: pd.Series, bucket: Period, target: float | None
    ) -> Verdict | None:
        observed = value_at(series, bucket.start)
        return (
            None if observed is None else self.judge_value(rule, observed, series, bucket, target)
        )

    def judge_value(
        self,
        rule: RuleInfo,
        observed: float,
        series: pd.Series,
        bucket: Period,
        target: float | None,
    ) -> Verdict | None:
        raise NotImplementedError


class RelativeKind(ValueKind):
    """A kind that fires when the bucket's value deviates from a base by the rule's threshold, a
    fraction (0.1 = 10 %), or more in the rule's direction."""

    needs_threshold = True
    percent = True

    def base(
        self, rule: RuleInfo, series: pd.Series, bucket: Period, target: float | None
    ) -> tuple[float | None, Period | None]:
        """The value the bucket is measured against, and the bucket it comes from (if any)."""
        raise NotImplementedError

    def judge_value(self, rule, observed, series, bucket, target):
        base, comparison = self.base(rule, series, bucket, target)
        return relative_verdict(rule, observed, base, comparison) if base else None


def choice(field: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise AnalyticsError(f"{field} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def rounded(value: float) -> float:
    return round(value, PRECISION)


def value_at(series: pd.Series, start: dt.date) -> float | None:
    value = series.get(pd.Timestamp(start))
    finite = value is not None and not (isinstance(value, float) and math.isnan(value))
    return float(value) if finite else None


def relative_verdict(
    rule: RuleInfo, observed: float, base: float, comparison: Period | None = None
) -> Verdict:
    """A breach when ``observed`` deviates from ``base`` by the rule's threshold (a fraction) or
    more, in the rule's direction."""
    share = float(rule.threshold)
    ratio, limit = rounded((observed - base) / abs(base)), rounded(share)
    direction = None
    if rule.direction in ("above", "both") and ratio >= limit:
        direction = "above"
    elif rule.direction in ("below", "both") and ratio <= -limit:
        direction = "below"
    return Verdict(
        direction is not None,
        observed,
        base,
        base - share * abs(base),
        base + share * abs(base),
        direction,
        comparison,
    )


def scope_target(rule: RuleInfo, bucket: Period, url: str | None = None) -> float | None:
    """The target of the rule's metric and channel scope for the bucket."""
    scope = scope_id(rule.scope_type, rule.scope_code or None, url)
    return target_for(rule.metric, bucket, rule.scope_type, scope, url)
