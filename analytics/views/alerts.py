"""The Alerts page's detail of one alert: the alert with its events and root cause, the rule
as it was when it fired, the metric's history with what the rule expected, and the breakdown
of the change."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analytics.alerts.breakdown import Breakdown
from analytics.alerts.breakdown import breakdown
from analytics.alerts.breakdown import effect_totals
from analytics.alerts.evaluation import metric_history
from analytics.alerts.rules import RuleInfo
from analytics.alerts.workflow import get_alert
from analytics.metrics import Metric
from analytics.metrics import get_metric
from analytics.periods import Period


@dataclass(frozen=True)
class AlertView:
    alert: dict  # get_alert: the alert row with its events and root cause
    rule: RuleInfo  # as it was when the alert fired
    metric: Metric
    period: Period
    history: pd.DataFrame  # metric_history: ds, observed, expected, lower, upper
    breakdown: Breakdown

    @property
    def effects(self) -> dict[str, float]:
        return effect_totals(self.breakdown)


def build_alert(alert_id: int, role: str | None = None, url: str | None = None) -> AlertView:
    """One alert's detail (AnalyticsError when there is no such alert, or none ``role`` may
    read)."""
    item = get_alert(alert_id, role)
    rule = RuleInfo(**item["rule_snapshot"])
    period = Period(item["period_start"], item["period_end"])
    comparison = (
        Period(item["comparison_start"], item["comparison_end"])
        if item["comparison_start"]
        else None
    )
    return AlertView(
        item,
        rule,
        get_metric(rule.metric),
        period,
        metric_history(rule, item["period_end"], url=url),
        breakdown(rule, period, comparison, url),
    )
