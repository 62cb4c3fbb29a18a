"""The automatic rules find the demo's injected spikes and drops, and stay quiet on clean data."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.alerts.buckets import latest_complete_bucket
from analytics.alerts.evaluation import RollupFrame
from analytics.alerts.evaluation import history_start
from analytics.alerts.evaluation import judge
from analytics.periods import Period
from ingestion.demo import injected_anomalies
from tests.alerts.conftest import make_rule
from tests.alerts.synthetic import END

pytestmark = pytest.mark.postgres
DIRECTION = {"spike": "above", "drop": "below"}
# Clean-data budget: at most this many alerts per detector over the evaluated days
# (4 channels × 60 days = 240 judgements each; a 3-sigma band alone expects < 1).
FALSE_ALERT_BUDGET = 3
CLEAN_DAYS = 60


def _verdict(url, rule, day):
    bucket = latest_complete_bucket(day, rule.grain)
    start = history_start(rule, bucket)
    series = RollupFrame([rule], Period(start, day), url).series(rule, bucket.end, start)
    return judge(rule, series, bucket)


@pytest.mark.parametrize("kind", ["band", "shesd"])
@pytest.mark.parametrize("metric", ["orders", "revenue"])
def test_injected_anomalies_are_found(injected_url, kind, metric):
    for anomaly in injected_anomalies(END):
        rule = make_rule(
            kind=kind, metric=metric, scope_type="touchpoint", scope_code=anomaly["touchpoint_code"]
        )
        verdict = _verdict(injected_url, rule, anomaly["day"])
        assert verdict is not None and verdict.breach, (anomaly, verdict)
        assert verdict.direction == DIRECTION[anomaly["kind"]]
        assert (verdict.observed > verdict.expected) == (anomaly["kind"] == "spike")


def test_band_verdict_carries_band_around_expected(injected_url):
    anomaly = injected_anomalies(END)[1]  # web outage
    rule = make_rule(kind="band", scope_type="touchpoint", scope_code=anomaly["touchpoint_code"])
    verdict = _verdict(injected_url, rule, anomaly["day"])
    assert verdict.lower < verdict.expected < verdict.upper
    assert verdict.observed < verdict.lower


@pytest.mark.parametrize("kind", [pytest.param("band", marks=pytest.mark.slow), "shesd"])
def test_few_false_alerts_on_clean_seasonal_data(clean_url, kind):
    alerts = 0
    for code in ("web", "mobile_app", "marketplace", "physical_store"):
        rule = make_rule(kind=kind, scope_type="touchpoint", scope_code=code)
        start = history_start(rule, Period(END - dt.timedelta(days=CLEAN_DAYS), END))
        frame = RollupFrame([rule], Period(start, END), clean_url)
        for offset in range(CLEAN_DAYS):
            day = END - dt.timedelta(days=offset)
            series = frame.series(rule, day, history_start(rule, Period(day, day)))
            verdict = judge(rule, series, Period(day, day))
            assert verdict is not None
            alerts += verdict.breach
    assert alerts <= FALSE_ALERT_BUDGET


def test_same_anomalies_are_quiet_without_injection(clean_url):
    for anomaly in injected_anomalies(END):
        rule = make_rule(
            kind="band", scope_type="touchpoint", scope_code=anomaly["touchpoint_code"]
        )
        assert not _verdict(clean_url, rule, anomaly["day"]).breach
