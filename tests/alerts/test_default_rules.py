"""The default rules find the demo generator's injected anomalies in a demo-sized rollup when they
are judged on the history they were added to, and adding them again adds nothing."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from analytics.alerts.defaults import DEFAULT_RULES
from analytics.alerts.defaults import ensure_default_rules
from analytics.alerts.jobs import evaluate_days
from analytics.alerts.rules import list_rules
from analytics.alerts.rules import set_rule_active
from db.alert_tables import Alert
from db.engine import get_engine
from db.roles import system
from ingestion.demo import injected_anomalies
from tests.alerts.synthetic import END
from tests.alerts.synthetic import daily_frame
from tests.alerts.synthetic import write_rollup

BACKFILL = 120


def test_default_rules_raise_the_injected_anomalies_once_each(scratch_url):
    write_rollup(scratch_url, daily_frame(inject=True))
    added = ensure_default_rules(system("tests"))
    categories = {r.scope_code for r in added.created}
    assert "unassigned" not in categories and added.present == 0
    assert len(added.created) == len(categories) * len(DEFAULT_RULES)

    days = [END - dt.timedelta(days=n) for n in range(BACKFILL)]
    result = evaluate_days(added.created, days)
    alerts = Alert.__table__
    with get_engine().connect() as conn:
        fired = conn.execute(select(alerts.c.rule_id, alerts.c.period_start)).all()
    assert len(result.fired) == len(fired) > 0
    rules = {r.id: r for r in added.created}
    band_days = {
        (rules[rule].scope_code, start) for rule, start in fired if rules[rule].kind == "band"
    }
    for anomaly in injected_anomalies(END):
        if anomaly["day"] < END - dt.timedelta(days=BACKFILL - 1):
            continue  # before the judged window
        if anomaly["affects"] == "orders_and_traffic":  # an outage or a spike the totals show
            assert ("ecommerce", anomaly["day"]) in band_days, anomaly
    # Few false alarms: at most one in 60 judged days per rule, anomalies aside.
    injected = {a["day"] for a in injected_anomalies(END)}
    false = [f for f in band_days if f[1] not in injected]
    assert len(false) <= len(rules) * BACKFILL / 60, false

    # Judging again the days that fired fires nothing new (the episodes remember them).
    assert evaluate_days(added.created, sorted({s for _, s in fired} & set(days))).fired == []


def test_defaults_are_added_once_and_a_disabled_default_is_not_brought_back(scratch_url):
    first = ensure_default_rules(system("tests"))
    set_rule_active(first.created[0].id, False, actor=system("tests"))
    again = ensure_default_rules(system("tests"))
    assert again.created == [] and again.present == len(first.created)
    assert len(list_rules()) == len(first.created)
