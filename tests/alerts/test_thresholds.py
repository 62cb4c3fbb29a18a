"""Threshold-like rules fire exactly at their limits: inclusive for threshold, target deviation
and change; strictly below for margin_below. Checked on both sides of every boundary."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics.alerts.evaluation import RollupFrame
from analytics.alerts.evaluation import judge
from analytics.alerts.evaluation import rule_target
from analytics.periods import Period
from analytics.targets import import_targets
from db.roles import system
from tests.alerts.conftest import make_rule
from tests.alerts.synthetic import write_rollup

pytestmark = pytest.mark.postgres
DAY = dt.date(2026, 3, 10)


def _load(url: str, revenue: dict[dt.date, float], cost: dict[dt.date, float] | None = None):
    write_rollup(
        url,
        pd.DataFrame(
            [
                {
                    "day": day,
                    "touchpoint_id": 1,
                    "orders": 10,
                    "visits": 200,
                    "gross_revenue": value,
                    "cost": (cost or {}).get(day, 0.0),
                }
                for day, value in revenue.items()
            ]
        ),
    )


def _judge(url, rule, day):
    bucket = Period(day, day)
    series = RollupFrame([rule], Period(day - dt.timedelta(days=400), day), url).series(rule, day)
    return judge(rule, series, bucket, rule_target(rule, bucket, url))


@pytest.mark.parametrize(
    ("direction", "value", "fires"),
    [
        ("above", 999.99, False),
        ("above", 1000.00, True),
        ("above", 1000.01, True),
        ("below", 999.99, True),
        ("below", 1000.00, True),
        ("below", 1000.01, False),
    ],
)
def test_threshold_is_inclusive(scratch_url, direction, value, fires):
    _load(scratch_url, {DAY: value})
    rule = make_rule(kind="threshold", metric="revenue", direction=direction, threshold=1000.0)
    verdict = _judge(scratch_url, rule, DAY)
    assert verdict.breach is fires
    assert verdict.observed == value and verdict.expected == 1000.0
    assert (verdict.direction == direction) is fires


@pytest.mark.parametrize(("visits", "fires"), [(201, False), (200, True), (199, True)])
def test_ratio_threshold_boundary(scratch_url, visits, fires):
    # conversion rate = 10 orders / visits: exactly 5 % at 200 visits
    write_rollup(
        scratch_url,
        pd.DataFrame(
            [
                {
                    "day": DAY,
                    "touchpoint_id": 1,
                    "orders": 10,
                    "visits": visits,
                    "gross_revenue": 100.0,
                    "cost": 0.0,
                }
            ]
        ),
    )
    rule = make_rule(kind="threshold", metric="conversion_rate", direction="above", threshold=0.05)
    verdict = _judge(scratch_url, rule, DAY)
    assert verdict.observed == pytest.approx(10 / visits)
    assert verdict.breach is fires


@pytest.mark.parametrize(
    ("value", "direction", "fires"),
    [
        (900.00, "below", True),  # exactly 10 % below the target of 1000/day
        (900.01, "below", False),
        (1100.00, "above", True),  # exactly 10 % above
        (1099.99, "above", False),
        (1100.00, "both", True),
        (900.00, "both", True),
        (950.00, "both", False),
    ],
)
def test_target_deviation_boundary(scratch_url, value, direction, fires):
    _load(scratch_url, {DAY: value})
    month = pd.DataFrame(
        [
            {
                "scope_type": "total",
                "scope_code": "",
                "metric": "revenue",
                "period_start": "2026-03-01",
                "period_end": "2026-03-31",
                "value": 31_000,
            }
        ]
    )
    import_targets(month, actor=system("tests"), url=scratch_url)
    rule = make_rule(kind="target_deviation", metric="revenue", direction=direction, threshold=0.1)
    verdict = _judge(scratch_url, rule, DAY)
    assert verdict.expected == pytest.approx(1000.0)
    assert (verdict.lower, verdict.upper) == (pytest.approx(900.0), pytest.approx(1100.0))
    assert verdict.breach is fires


@pytest.mark.parametrize(
    ("value", "fires"), [(1250.00, True), (1249.99, False), (750.00, True), (750.01, False)]
)
def test_change_vs_prior_boundary(scratch_url, value, fires):
    _load(scratch_url, {DAY - dt.timedelta(days=1): 1000.0, DAY: value})
    rule = make_rule(
        kind="change", metric="revenue", direction="both", threshold=0.25, comparison="prior"
    )
    verdict = _judge(scratch_url, rule, DAY)
    assert verdict.expected == 1000.0
    assert verdict.comparison == Period(DAY - dt.timedelta(days=1), DAY - dt.timedelta(days=1))
    assert verdict.breach is fires


def test_change_vs_last_year(scratch_url):
    last_year = dt.date(2025, 3, 10)
    _load(scratch_url, {last_year: 800.0, DAY: 1000.0})
    rule = make_rule(
        kind="change", metric="revenue", direction="above", threshold=0.25, comparison="yoy"
    )
    verdict = _judge(scratch_url, rule, DAY)
    assert verdict.expected == 800.0 and verdict.breach  # +25 % exactly


@pytest.mark.parametrize(("cost", "fires"), [(700.00, False), (700.01, True), (699.99, False)])
def test_margin_below_is_strict(scratch_url, cost, fires):
    _load(scratch_url, {DAY: 1000.0}, {DAY: cost})
    target = pd.DataFrame(
        [
            {
                "scope_type": "total",
                "scope_code": "",
                "metric": "margin_pct",
                "period_start": "2026-01-01",
                "period_end": "2026-12-31",
                "value": 0.3,
            }
        ]
    )
    import_targets(target, actor=system("tests"), url=scratch_url)
    rule = make_rule(kind="margin_below", metric="margin_pct", direction="below")
    verdict = _judge(scratch_url, rule, DAY)
    assert verdict.expected == pytest.approx(0.3)
    assert verdict.observed == pytest.approx((1000.0 - cost) / 1000.0)
    assert verdict.breach is fires
