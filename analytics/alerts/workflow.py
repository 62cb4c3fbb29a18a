"""The root-cause workflow: open → acknowledged → root_cause_submitted → resolved.

Each step is a command by an actor: it checks the actor's role first, then the current state,
moves the alert, writes an ``alert_event`` and an audit entry in one transaction. Who may do
what:

- acknowledge: every role (executives read and acknowledge);
- submit the root cause and resolve: planners and above (the people who act on channels,
  stock and budget). A root cause may be submitted on an open alert (it acknowledges it).

The root cause is due ``ROOT_CAUSE_DUE`` (24 h) after the alert fired; an alert still open or
acknowledged after that is overdue and ``escalate_overdue`` notifies the rule's escalation
recipients, once per alert.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy import update

from analytics.alerts import notifications
from analytics.alerts.episodes import SYSTEM_ACTOR
from analytics.alerts.episodes import record_event
from analytics.errors import AnalyticsError
from analytics.metrics import METRICS
from analytics.metrics import may_read
from analytics.metrics import readable
from db import audit
from db.alert_tables import Alert
from db.alert_tables import AlertEvent
from db.alert_tables import AlertRule
from db.alert_tables import RcaNote
from db.engine import get_engine
from db.roles import Actor
from db.roles import at_least

STATES = ("open", "acknowledged", "root_cause_submitted", "resolved")
STATE_LABELS = {state: state.replace("_", " ").capitalize() for state in STATES}
AWAITING_ROOT_CAUSE = ("open", "acknowledged")
CAUSE_CATEGORIES = {
    "pricing": "Pricing or promotion",
    "stock_out": "Stock-out or supply",
    "site_incident": "Site / app incident",
    "campaign_change": "Campaign or marketing change",
    "staff_process": "Staff or process",
    "competitor": "Competitor action",
    "data_issue": "Data issue",
    "seasonality": "Seasonality or calendar",
    "external": "Weather or external event",
    "other": "Other",
}
PLANNERS_UP = at_least("planner")
DONE = {
    "acknowledge": "acknowledged",
    "submit_root_cause": "given a root cause",
    "resolve": "resolved",
}
MIN_TEXT = 10
MIN_ACTION = 5

alert = Alert.__table__
event = AlertEvent.__table__
rca = RcaNote.__table__
rule_table = AlertRule.__table__


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def _utc(stamp: dt.datetime) -> dt.datetime:
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def _transition(
    alert_id: int,
    actor: Actor,
    action: str,
    from_states: tuple[str, ...],
    to_state: str,
    now: dt.datetime,
    note: str | None = None,
    extra=None,
) -> None:
    with get_engine().begin() as conn:
        query = (
            select(alert.c.state, rule_table.c.metric)
            .join(rule_table, rule_table.c.id == alert.c.rule_id)
            .where(alert.c.id == alert_id)
        )
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(of=alert)
        found = conn.execute(query).first()
        if found is None or not may_read(found.metric, actor.role):
            raise AnalyticsError(f"no alert with id {alert_id}")
        current = found.state
        if current not in from_states:
            raise AnalyticsError(
                f"alert {alert_id} is {STATE_LABELS[current].lower()}; "
                f"it can be {DONE[action]} only when "
                f"{' or '.join(STATE_LABELS[s].lower() for s in from_states)}"
            )
        if extra is not None:
            extra(conn)
        conn.execute(
            update(alert).where(alert.c.id == alert_id).values(state=to_state, updated_at=now)
        )
        moved = {"from_state": current, "to_state": to_state}
        record_event(conn, alert_id, now, actor.name, action, note=note, **moved)
        after = {"state": to_state, "at": now.isoformat()}
        if note:
            after["note"] = note
        audit.record(
            conn, actor.name, f"alert.{action}", "alert", alert_id, {"state": current}, after
        )


def acknowledge(
    alert_id: int, actor: Actor, note: str | None = None, now: dt.datetime | None = None
) -> None:
    actor.require("executive", "acknowledge alerts")
    _noted_step(alert_id, actor, "acknowledge", note, now)


def submit_root_cause(
    alert_id: int,
    actor: Actor,
    category: str,
    text: str,
    corrective_action: str,
    now: dt.datetime | None = None,
) -> None:
    actor.require("planner", "submit root causes (planners and above)")
    if category not in CAUSE_CATEGORIES:
        raise AnalyticsError("choose a cause category")
    text, corrective_action = (text or "").strip(), (corrective_action or "").strip()
    if len(text) < MIN_TEXT:
        raise AnalyticsError(f"describe the root cause in at least {MIN_TEXT} characters")
    if len(corrective_action) < MIN_ACTION:
        raise AnalyticsError(
            f"describe the corrective action in at least {MIN_ACTION} characters "
            "(e.g. retrain staff on the platform tool, reallocate inventory)"
        )
    stamp = _now(now)

    def write_note(conn) -> None:
        conn.execute(
            rca.insert().values(
                alert_id=alert_id,
                category=category,
                text=text,
                corrective_action=corrective_action,
                submitted_by=actor.name,
                submitted_at=stamp,
            )
        )

    note = f"{CAUSE_CATEGORIES[category]}: {text} — action: {corrective_action}"
    _transition(
        alert_id,
        actor,
        "submit_root_cause",
        AWAITING_ROOT_CAUSE,
        "root_cause_submitted",
        stamp,
        note,
        write_note,
    )


def resolve(
    alert_id: int, actor: Actor, note: str | None = None, now: dt.datetime | None = None
) -> None:
    actor.require("planner", "resolve alerts (planners and above)")
    _noted_step(alert_id, actor, "resolve", note, now)


# The steps that take only an optional note: the states they leave from, the one they reach.
NOTED_STEPS = {
    "acknowledge": (("open",), "acknowledged"),
    "resolve": (("root_cause_submitted",), "resolved"),
}


def _noted_step(
    alert_id: int, actor: Actor, action: str, note: str | None, now: dt.datetime | None
) -> None:
    from_states, to_state = NOTED_STEPS[action]
    note = (note or "").strip() or None
    _transition(alert_id, actor, action, from_states, to_state, _now(now), note)


def is_overdue(state: str, due_at: dt.datetime, now: dt.datetime) -> bool:
    return state in AWAITING_ROOT_CAUSE and _utc(now) > _utc(due_at)


def time_left(state: str, due_at: dt.datetime, now: dt.datetime) -> str:
    """'5 h 12 min left', 'overdue by 3 h 4 min', or '' once the root cause is in."""
    if state not in AWAITING_ROOT_CAUSE:
        return ""
    delta = _utc(due_at) - _utc(now)
    minutes = int(abs(delta).total_seconds() // 60)
    text = f"{minutes // 60} h {minutes % 60:02d} min"
    return f"overdue by {text}" if delta.total_seconds() < 0 else f"{text} left"


def escalate_overdue(now: dt.datetime | None = None) -> list[int]:
    """Escalate every overdue alert not escalated yet; returns their ids. Notifications to the
    rule's escalation recipients are queued in the same transaction (delivered by the outbox)."""
    stamp = _now(now)
    escalated = []
    with get_engine().begin() as conn:
        query = (
            select(alert.c.id, rule_table.c.escalation)
            .join(rule_table, rule_table.c.id == alert.c.rule_id)
            .where(
                alert.c.state.in_(AWAITING_ROOT_CAUSE),
                alert.c.due_at < stamp,
                alert.c.escalated_at.is_(None),
            )
            .order_by(alert.c.id)
        )
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(of=alert, skip_locked=True)
        for alert_id, contacts in conn.execute(query).all():
            conn.execute(update(alert).where(alert.c.id == alert_id).values(escalated_at=stamp))
            note = "root cause overdue: escalation recipients notified"
            record_event(conn, alert_id, stamp, SYSTEM_ACTOR, "escalate", note=note)
            audit.record(
                conn,
                SYSTEM_ACTOR,
                "alert.escalate",
                "alert",
                alert_id,
                None,
                {"escalated_at": stamp.isoformat()},
            )
            notifications.queue(conn, alert_id, "escalation", contacts or {}, stamp)
            escalated.append(alert_id)
    return escalated


# --- reading ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertFilters:
    states: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()  # category or touchpoint codes of the rule's scope
    role: str | None = None  # only alerts on metrics this role may read (None: all)


def list_alerts(filters: AlertFilters | None = None, limit: int = 500) -> pd.DataFrame:
    """Alerts newest first with their rule's name, metric, scope and severity."""
    filters = filters or AlertFilters()
    query = (
        select(
            alert.c.id,
            alert.c.state,
            alert.c.period_start,
            alert.c.period_end,
            alert.c.grain,
            alert.c.observed,
            alert.c.expected,
            alert.c.lower,
            alert.c.upper,
            alert.c.direction,
            alert.c.fired_at,
            alert.c.due_at,
            alert.c.escalated_at,
            alert.c.message,
            rule_table.c.id.label("rule_id"),
            rule_table.c.name.label("rule"),
            rule_table.c.metric,
            rule_table.c.kind,
            rule_table.c.severity,
            rule_table.c.scope_type,
            rule_table.c.scope_code,
        )
        .join(rule_table, rule_table.c.id == alert.c.rule_id)
        .order_by(alert.c.fired_at.desc(), alert.c.id.desc())
        .limit(limit)
    )
    if filters.states:
        query = query.where(alert.c.state.in_(filters.states))
    if filters.severities:
        query = query.where(rule_table.c.severity.in_(filters.severities))
    if filters.channels:
        query = query.where(rule_table.c.scope_code.in_(filters.channels))
    if filters.role is not None:
        query = query.where(rule_table.c.metric.in_(readable(METRICS, filters.role)))
    with get_engine().connect() as conn:
        result = conn.execute(query)
        return pd.DataFrame(result.all(), columns=list(result.keys()))


def get_alert(alert_id: int, role: str | None = None) -> dict:
    """One alert with its events and root cause; for ``role``, only if it may read the
    alert's metric (an alert on spend is not shown to executives)."""
    with get_engine().connect() as conn:
        row = (
            conn.execute(
                select(alert, rule_table.c.metric)
                .join(rule_table, rule_table.c.id == alert.c.rule_id)
                .where(alert.c.id == alert_id)
            )
            .mappings()
            .first()
        )
        if row is None or (role is not None and not may_read(row["metric"], role)):
            raise AnalyticsError(f"no alert with id {alert_id}")
        events = (
            conn.execute(select(event).where(event.c.alert_id == alert_id).order_by(event.c.id))
            .mappings()
            .all()
        )
        note = conn.execute(select(rca).where(rca.c.alert_id == alert_id)).mappings().first()
    return {
        **dict(row),
        "events": [dict(e) for e in events],
        "root_cause": dict(note) if note else None,
    }
