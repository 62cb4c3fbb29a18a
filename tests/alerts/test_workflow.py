"""The root-cause workflow through its commands: states, roles, validation, events, audit
entries, and the escalation of an overdue alert with time advanced (not slept)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from analytics.alerts.notifications import deliver_pending
from analytics.alerts.workflow import AlertFilters
from analytics.alerts.workflow import acknowledge
from analytics.alerts.workflow import escalate_overdue
from analytics.alerts.workflow import get_alert
from analytics.alerts.workflow import is_overdue
from analytics.alerts.workflow import list_alerts
from analytics.alerts.workflow import resolve
from analytics.alerts.workflow import submit_root_cause
from analytics.alerts.workflow import time_left
from analytics.errors import AnalyticsError
from db.engine import get_engine
from db.roles import Actor
from db.roles import PermissionDenied
from db.schema import AuditLog
from tests.alerts.conftest import T0
from tests.alerts.conftest import fire_alert

pytestmark = pytest.mark.postgres


def _audit(url, since_id: int) -> list[dict]:
    table = AuditLog.__table__
    with get_engine(url).connect() as conn:
        rows = conn.execute(select(table).where(table.c.id > since_id).order_by(table.c.id))
        return [dict(r) for r in rows.mappings()]


def _last_audit_id(url) -> int:
    with get_engine(url).connect() as conn:
        return (
            conn.execute(
                select(AuditLog.__table__.c.id).order_by(AuditLog.__table__.c.id.desc()).limit(1)
            ).scalar()
            or 0
        )


def test_an_alert_on_spend_is_hidden_from_executives_and_closed_to_their_commands(scratch_url):
    """Marketing spend is planner data: its alerts are neither listed, shown nor handled for
    an executive, as if they did not exist."""
    alert_id = fire_alert(scratch_url, metric="spend")
    assert alert_id not in set(list_alerts(AlertFilters(role="executive"))["id"])
    assert alert_id in set(list_alerts(AlertFilters(role="planner"))["id"])
    with pytest.raises(AnalyticsError, match=f"no alert with id {alert_id}"):
        get_alert(alert_id, "executive")
    with pytest.raises(AnalyticsError, match=f"no alert with id {alert_id}"):
        acknowledge(alert_id, Actor("executive", "executive"))
    assert get_alert(alert_id)["state"] == "open"
    acknowledge(alert_id, Actor("planner", "planner"))
    assert get_alert(alert_id, "planner")["state"] == "acknowledged"


def test_lifecycle_with_roles_events_and_audit(scratch_url):
    alert_id = fire_alert(scratch_url)
    start = _last_audit_id(scratch_url)
    with pytest.raises(AnalyticsError, match="only when root cause submitted"):
        resolve(alert_id, Actor("planner", "planner"))
    acknowledge(
        alert_id, Actor("executive", "executive"), "looking", now=T0 + dt.timedelta(hours=1)
    )
    with pytest.raises(AnalyticsError, match="acknowledged only when open"):
        acknowledge(alert_id, Actor("executive", "executive"))
    with pytest.raises(PermissionDenied, match="executive role may not submit"):
        submit_root_cause(
            alert_id, Actor("executive", "executive"), "stock_out", "x" * 20, "reorder"
        )
    with pytest.raises(AnalyticsError, match="choose a cause category"):
        submit_root_cause(alert_id, Actor("planner", "planner"), "", "x" * 20, "reorder")
    with pytest.raises(AnalyticsError, match="at least 10 characters"):
        submit_root_cause(alert_id, Actor("planner", "planner"), "stock_out", "short", "reorder")
    with pytest.raises(AnalyticsError, match="corrective action"):
        submit_root_cause(alert_id, Actor("planner", "planner"), "stock_out", "x" * 20, "")
    submit_root_cause(
        alert_id,
        Actor("planner", "planner"),
        "staff_process",
        "Store staff could not use the new POS tool",
        "Retrain staff on the POS tool",
        now=T0 + dt.timedelta(hours=5),
    )
    resolve(alert_id, Actor("admin", "admin"), "training done", now=T0 + dt.timedelta(hours=30))
    item = get_alert(alert_id)
    assert item["state"] == "resolved"
    assert item["root_cause"]["category"] == "staff_process"
    assert item["root_cause"]["submitted_by"] == "planner"
    steps = [(e["action"], e["actor"], e["to_state"]) for e in item["events"]]
    assert steps == [
        ("fire", "system", "open"),
        ("acknowledge", "executive", "acknowledged"),
        ("submit_root_cause", "planner", "root_cause_submitted"),
        ("resolve", "admin", "resolved"),
    ]
    entries = _audit(scratch_url, start)
    assert [(e["action"], e["actor"], e["entity_id"]) for e in entries] == [
        ("alert.acknowledge", "executive", str(alert_id)),
        ("alert.submit_root_cause", "planner", str(alert_id)),
        ("alert.resolve", "admin", str(alert_id)),
    ]
    assert [e["before"]["state"] for e in entries] == [
        "open",
        "acknowledged",
        "root_cause_submitted",
    ]
    assert "Retrain staff" in entries[1]["after"]["note"]
    # a root cause in time: never overdue, nothing to escalate
    assert escalate_overdue(T0 + dt.timedelta(days=3)) == []


def test_overdue_alert_escalates_once(scratch_url, smtp_server):
    alert_id = fire_alert(scratch_url, {"emails": ["boss@example.com"]})
    due = T0 + dt.timedelta(hours=24)
    assert time_left("open", due, T0 + dt.timedelta(hours=20, minutes=30)) == "3 h 30 min left"
    assert escalate_overdue(due) == []  # due exactly now: not yet overdue
    assert not is_overdue("open", due, due)
    late = due + dt.timedelta(minutes=1)
    assert is_overdue("acknowledged", due, late)
    assert time_left("open", due, late) == "overdue by 0 h 01 min"
    start = _last_audit_id(scratch_url)
    assert escalate_overdue(late) == [alert_id]
    assert escalate_overdue(late + dt.timedelta(hours=6)) == []  # once
    assert get_alert(alert_id)["escalated_at"] is not None
    assert [e["action"] for e in _audit(scratch_url, start)] == ["alert.escalate"]
    assert deliver_pending(late).sent == 1
    ((recipients, message),) = smtp_server.messages
    assert recipients == ["boss@example.com"]
    assert "OVERDUE root cause" in message
    # a submitted root cause stops the clock
    submit_root_cause(
        alert_id,
        Actor("planner", "planner"),
        "data_issue",
        "Store feed was delayed by the POS vendor",
        "Reload the feed",
        now=late,
    )
    assert not is_overdue(get_alert(alert_id)["state"], due, late + dt.timedelta(days=1))
