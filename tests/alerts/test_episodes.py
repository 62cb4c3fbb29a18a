"""An episode alerts once, re-arms when the metric is normal again, and fires anew after that;
rules are evaluated after a batch only when their latest complete bucket was touched."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from analytics.alerts.buckets import latest_complete_bucket
from analytics.alerts.jobs import evaluate_after_batch
from analytics.alerts.jobs import evaluate_all
from analytics.alerts.jobs import evaluate_rules
from analytics.alerts.jobs import rules_touched
from analytics.alerts.rules import create_rule
from analytics.alerts.rules import list_rules
from analytics.errors import AnalyticsError
from db.alert_tables import Alert
from db.alert_tables import AlertEvent
from db.alert_tables import AlertNotification
from db.engine import get_engine
from db.roles import system
from db.schema import AuditLog
from tests.alerts.synthetic import write_rollup

pytestmark = pytest.mark.postgres
START = dt.date(2026, 3, 1)
# revenue per day; the rule fires at or below 500
SERIES = [800, 400, 300, 450, 900, 700, 200, 600]


def _load(url):
    write_rollup(
        url,
        pd.DataFrame(
            [
                {
                    "day": START + dt.timedelta(days=i),
                    "touchpoint_id": 1,
                    "orders": 5,
                    "visits": 100,
                    "gross_revenue": float(v),
                    "cost": 0.0,
                }
                for i, v in enumerate(SERIES)
            ]
        ),
    )


def _count(url, table, *where):
    with get_engine(url).connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar()


def _low_revenue_rule(url, **extra) -> None:
    """The series loaded and one rule: revenue below 500 a day."""
    _load(url)
    create_rule(
        {
            "name": "low revenue",
            "metric": "revenue",
            "kind": "threshold",
            "direction": "below",
            "threshold": 500,
            **extra,
        },
        actor=system("tests"),
    )


def test_episode_alerts_once_and_rearms(scratch_url):
    _low_revenue_rule(scratch_url, recipients={"emails": ["ops@example.com"]})
    rules = list_rules(active_only=True)
    outcomes = []
    for i in range(len(SERIES)):
        result = evaluate_rules(rules, START + dt.timedelta(days=i))
        outcomes.append(next(iter(result.outcomes)))
    # independent expectation: fire on the first breach after a normal day
    breach = [v <= 500 for v in SERIES]
    expected = []
    open_episode = False
    for hit in breach:
        if hit and not open_episode:
            expected.append("fired")
        elif hit:
            expected.append("continuing")
        elif open_episode:
            expected.append("rearmed")
        else:
            expected.append("normal")
        open_episode = hit
    assert outcomes == expected
    alerts = _count(scratch_url, Alert.__table__)
    assert alerts == sum(1 for i, hit in enumerate(breach) if hit and (i == 0 or not breach[i - 1]))
    # evaluating the same day again adds nothing; an older day is ignored
    again = evaluate_rules(rules, START + dt.timedelta(days=len(SERIES) - 1))
    older = evaluate_rules(rules, START + dt.timedelta(days=2))
    assert again.outcomes == {"normal": 1} and older.outcomes == {"stale": 1}
    assert _count(scratch_url, Alert.__table__) == alerts
    # one notification and one fire event + audit entry per alert
    assert _count(scratch_url, AlertNotification.__table__) == alerts
    assert (
        _count(scratch_url, AlertEvent.__table__, AlertEvent.__table__.c.action == "fire") == alerts
    )
    assert (
        _count(scratch_url, AuditLog.__table__, AuditLog.__table__.c.action == "alert.fire")
        == alerts
    )


def test_first_alert_carries_values(scratch_url):
    _low_revenue_rule(scratch_url)
    rules = list_rules()
    evaluate_rules(rules, START + dt.timedelta(days=1))
    with get_engine(scratch_url).connect() as conn:
        row = conn.execute(select(Alert.__table__)).mappings().one()
    assert float(row["observed"]) == 400.0 and float(row["expected"]) == 500.0
    assert float(row["lower"]) == 500.0 and row["upper"] is None
    assert row["period_start"] == row["period_end"] == START + dt.timedelta(days=1)
    assert row["due_at"] - row["fired_at"] == dt.timedelta(hours=24)
    assert row["rule_snapshot"]["name"] == "low revenue"


def test_after_batch_evaluates_only_touched_buckets(scratch_url):
    _load(scratch_url)
    for grain in ("day", "week", "month"):
        create_rule(
            {
                "name": f"low {grain}",
                "metric": "revenue",
                "kind": "threshold",
                "direction": "below",
                "threshold": {"day": 500, "week": 4000, "month": 500}[grain],
                "grain": grain,
            },
            actor=system("tests"),
        )
    rules = list_rules()
    as_of = START + dt.timedelta(days=len(SERIES) - 1)  # Sunday 8 March 2026
    assert as_of.weekday() == 6
    assert latest_complete_bucket(as_of, "week").start == dt.date(2026, 3, 2)
    assert latest_complete_bucket(as_of, "month").end == dt.date(2026, 2, 28)
    chosen = {r.grain for r in rules_touched(rules, [as_of.isoformat()], as_of)}
    assert chosen == {"day", "week"}
    assert rules_touched(rules, ["2026-03-01"], as_of) == []
    result = evaluate_after_batch([as_of.isoformat()])
    assert result.as_of == as_of and result.evaluated == 2
    # the day (600) is normal; the week (3,550) is below its 4,000 floor
    assert result.outcomes == {"fired": 1, "normal": 1}


def test_a_day_not_over_in_the_company_time_zone_is_not_judged(scratch_url, use_database):
    """Today so far against a whole day's band would fire every morning: the default as-of day
    is the last one over where the company reports."""
    use_database(scratch_url, reporting_tz="America/New_York")
    _low_revenue_rule(scratch_url)
    last = START + dt.timedelta(days=len(SERIES) - 1)
    new_york = ZoneInfo("America/New_York")
    late = dt.datetime.combine(last, dt.time(23, 30), new_york)
    assert late.astimezone(dt.UTC).date() > last  # over in UTC, not in New York
    result = evaluate_all(now=late, deliver=False)
    assert result.as_of == last - dt.timedelta(days=1)
    assert result.outcomes == {"fired": 1}  # 7 March: 200, below 500
    after_midnight = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0, 5), new_york)
    result = evaluate_all(now=after_midnight, deliver=False)
    assert result.as_of == last and result.outcomes == {"rearmed": 1}  # 8 March: 600


def test_a_day_asked_for_that_is_not_over_is_refused_and_changes_no_rule(scratch_url, use_database):
    """Judged as of a future day, a rule would record that day as judged and skip the days in
    between for good."""
    use_database(scratch_url, reporting_tz="America/New_York")
    _low_revenue_rule(scratch_url)
    last = START + dt.timedelta(days=len(SERIES) - 1)
    late = dt.datetime.combine(last, dt.time(23, 30), ZoneInfo("America/New_York"))
    with get_engine(scratch_url).connect() as conn:
        before = conn.execute(text("SELECT * FROM alert_rule_state")).all()
    with pytest.raises(AnalyticsError, match=f"{last} is not over yet"):
        evaluate_all(last, now=late, deliver=False)
    with pytest.raises(AnalyticsError, match="is not over yet"):
        evaluate_all(dt.date(2099, 1, 1), now=late, deliver=False)
    with get_engine(scratch_url).connect() as conn:
        assert conn.execute(text("SELECT * FROM alert_rule_state")).all() == before
    assert evaluate_all(last - dt.timedelta(days=1), now=late, deliver=False).outcomes
