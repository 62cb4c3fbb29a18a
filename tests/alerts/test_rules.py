"""Rule commands validate and audit; the CLI adds, lists and disables rules; the migration
upgrades and downgrades on SQLite."""

from __future__ import annotations

import pytest
from sqlalchemy import insert
from sqlalchemy import inspect
from sqlalchemy import select
from typer.testing import CliRunner

from analytics.alerts.rules import RuleInfo
from analytics.alerts.rules import create_rule
from analytics.alerts.rules import get_rule
from analytics.alerts.rules import list_rules
from analytics.alerts.rules import set_rule_active
from analytics.alerts.rules import update_rule
from analytics.errors import AnalyticsError
from cli.alerts import app
from db.engine import get_engine
from db.migrate import downgrade
from db.migrate import upgrade
from db.roles import Actor
from db.roles import system
from db.schema import AuditLog
from db.schema import Region
from db.schema import Touchpoint

BASE = {
    "name": "web orders",
    "metric": "orders",
    "kind": "band",
    "scope_type": "touchpoint",
    "scope_code": "web",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "nope"}, "kind must be one of"),
        ({"metric": "nope"}, "metric must be one of"),
        ({"scope_code": "atlantis"}, "unknown touchpoint 'atlantis'"),
        ({"kind": "threshold", "direction": "above"}, "needs a threshold"),
        ({"kind": "threshold", "threshold": 5}, "either above or below"),
        ({"kind": "change", "threshold": -0.1}, "positive fraction"),
        ({"recipients": {"emails": ["not-an-email"]}}, "not an email address"),
        ({"recipients": {"webhook": "ftp://x"}}, "http:// or https://"),
        ({"region_code": "mars"}, "unknown region 'mars'"),
        ({"name": "x"}, "2–120 characters"),
    ],
)
def test_invalid_rules_are_refused(sqlite_url, change, message):
    with pytest.raises(AnalyticsError, match=message):
        create_rule(BASE | change, actor=system("tests"))
    assert list_rules() == []


def test_create_update_disable_are_audited(sqlite_url):
    rule = create_rule(
        BASE | {"recipients": {"emails": "a@example.com, b@example.com"}},
        actor=Actor("alice", "admin"),
    )
    assert rule.recipients == {"emails": ["a@example.com", "b@example.com"], "webhook": None}
    with pytest.raises(AnalyticsError, match="already exists"):
        create_rule(BASE, actor=Actor("alice", "admin"))
    updated = update_rule(
        rule.id, {"severity": "critical", "params": {"k": 4}}, actor=Actor("bob", "admin")
    )
    assert (updated.severity, updated.params, updated.kind) == ("critical", {"k": 4}, "band")
    set_rule_active(rule.id, False, actor=Actor("carol", "admin"))
    assert list_rules(active_only=True) == [] and not get_rule(rule.id).active
    table = AuditLog.__table__
    with get_engine().connect() as conn:
        entries = conn.execute(
            select(table.c.action, table.c.actor, table.c.before, table.c.after).order_by(
                table.c.id
            )
        ).all()
    assert [(a, who) for a, who, _b, _a in entries] == [
        ("alert_rule.create", "alice"),
        ("alert_rule.update", "bob"),
        ("alert_rule.disable", "carol"),
    ]
    assert entries[1].before["severity"] == "warning" and entries[1].after["severity"] == "critical"


def test_cli_rules_add_list_disable(sqlite_url):
    runner = CliRunner(env={"COLUMNS": "200"})
    added = runner.invoke(
        app,
        [
            "rules",
            "add",
            "--name",
            "low revenue",
            "--kind",
            "threshold",
            "--direction",
            "below",
            "--threshold",
            "1000",
            "--email",
            "ops@example.com",
        ],
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["rules", "list"])
    assert "low revenue" in listed.output and "below 1000" in listed.output
    rule_id = list_rules()[0].id
    assert runner.invoke(app, ["rules", "disable", str(rule_id)]).exit_code == 0
    assert "low revenue" not in runner.invoke(app, ["rules", "list"]).output
    bad = runner.invoke(
        app, ["rules", "add", "--name", "x2", "--kind", "threshold", "--direction", "above"]
    )
    assert bad.exit_code == 2 and "needs a threshold" in bad.output
    bad_kind = runner.invoke(app, ["rules", "add", "--name", "x3", "--kind", "magic"])
    assert bad_kind.exit_code == 2 and "--kind must be one of" in bad_kind.output
    bad_date = runner.invoke(app, ["evaluate", "--at", "30/06/2026"])
    assert bad_date.exit_code == 2 and "YYYY-MM-DD" in bad_date.output
    assert runner.invoke(app, ["rules", "disable", "999"]).exit_code == 2


def test_migration_downgrades_and_upgrades(sqlite_url):
    tables = set(inspect(get_engine(sqlite_url)).get_table_names())
    assert {
        "alert_rule",
        "alert",
        "alert_event",
        "rca_note",
        "alert_notification",
        "alert_rule_state",
    } <= tables
    downgrade(sqlite_url, "alerts@0002")
    get_engine(sqlite_url).dispose()
    assert "alert" not in set(inspect(get_engine(sqlite_url)).get_table_names())
    upgrade(sqlite_url)
    get_engine(sqlite_url).dispose()
    assert "alert_notification" in set(inspect(get_engine(sqlite_url)).get_table_names())


def test_evaluation_and_workflow_on_sqlite(sqlite_url):
    """The embedded default (SQLite) fires, de-duplicates and walks the workflow too."""
    import datetime as dt

    import pandas as pd

    from analytics.alerts.jobs import evaluate_rules
    from analytics.alerts.workflow import acknowledge
    from analytics.alerts.workflow import get_alert
    from analytics.alerts.workflow import resolve
    from analytics.alerts.workflow import submit_root_cause
    from tests.alerts.synthetic import write_rollup

    day = dt.date(2026, 6, 30)
    write_rollup(
        sqlite_url,
        pd.DataFrame(
            [
                {
                    "day": day - dt.timedelta(days=i),
                    "touchpoint_id": 1,
                    "orders": 2,
                    "visits": 50,
                    "gross_revenue": 100.0,
                    "cost": 0.0,
                }
                for i in range(2)
            ]
        ),
    )
    create_rule(
        {
            "name": "floor",
            "metric": "revenue",
            "kind": "threshold",
            "direction": "below",
            "threshold": 500,
        },
        actor=system("tests"),
    )
    first = evaluate_rules(list_rules(), day - dt.timedelta(days=1))
    second = evaluate_rules(list_rules(), day)
    assert len(first.fired) == 1 and second.outcomes == {"continuing": 1}
    (alert_id,) = first.fired
    acknowledge(alert_id, Actor("executive", "executive"))
    submit_root_cause(
        alert_id,
        Actor("planner", "planner"),
        "pricing",
        "Price test went wrong",
        "Revert the price test",
    )
    resolve(alert_id, Actor("planner", "planner"))
    assert get_alert(alert_id)["state"] == "resolved"


def test_rules_name_their_scope(sqlite_url):
    region_code, region_name = "de", "Germany"
    with get_engine().begin() as conn:
        conn.execute(insert(Region.__table__).values(id=7, code=region_code, name=region_name))
        web = conn.execute(select(Touchpoint.name).where(Touchpoint.code == "web")).scalar_one()
    rule = create_rule(BASE | {"region_code": region_code}, actor=system("tests"))
    assert web != "web"
    assert rule.scope_label == f"{web} · {region_name}"
    assert get_rule(rule.id).scope_label == list_rules()[0].scope_label == rule.scope_label
    everything = create_rule(
        {"name": "all revenue", "metric": "revenue", "kind": "band"}, actor=system("tests")
    )
    assert everything.scope_label == "All channels"
    # An alert's rule snapshot from before scopes were named shows the codes.
    older = {key: value for key, value in rule.snapshot().items() if key != "scope_name"}
    assert RuleInfo(**older).scope_label == f"web · {region_code}"
