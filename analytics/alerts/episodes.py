"""Episodes: an alert fires once when a rule starts breaching and re-arms when it is normal again.

``alert_rule_state`` holds, per rule, the last bucket judged and the alert of the open episode.
A breach with no open episode fires a new alert (and queues its notifications); a breach during
an open episode adds nothing; a normal bucket ends the episode, so the next breach fires again.
A bucket older than the last one judged is ignored (a late correction of old data does not
re-open history); the same bucket may be judged again when its data changes.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from sqlalchemy import Connection
from sqlalchemy import select
from sqlalchemy import update

from analytics.alerts import notifications
from analytics.alerts.kinds.base import Verdict
from analytics.alerts.rules import RuleInfo
from analytics.metrics import format_value
from analytics.metrics import get_metric
from analytics.periods import Period
from db import audit
from db.alert_tables import Alert
from db.alert_tables import AlertEvent
from db.alert_tables import AlertRuleState
from db.upsert import insert_for

ROOT_CAUSE_DUE = dt.timedelta(hours=24)
SYSTEM_ACTOR = "system"
alert = Alert.__table__
event = AlertEvent.__table__
state = AlertRuleState.__table__


def record_event(
    conn: Connection, alert_id: int, at: dt.datetime, actor: str, action: str, **details: str | None
) -> None:
    """One step of an alert's life in its trail; ``details``: note, from_state, to_state."""
    values = {"alert_id": alert_id, "at": at, "actor": actor, "action": action, **details}
    conn.execute(event.insert().values(**values))


def _stored(value: float | None) -> Decimal | None:
    if value is None or math.isnan(value) or math.isinf(value):
        return None
    return Decimal(repr(round(float(value), 8)))


def describe(rule: RuleInfo, bucket: Period, verdict: Verdict) -> str:
    metric = get_metric(rule.metric)
    when = (
        f"{bucket.start:%d %b %Y}"
        if bucket.days == 1
        else f"{bucket.start:%d %b %Y} – {bucket.end:%d %b %Y}"
    )
    text = (
        f"{metric.label} for {rule.scope_label} ({rule.grain} {when}) is "
        f"{format_value(verdict.observed, metric.unit)}, {verdict.direction} normal; "
        f"expected {format_value(verdict.expected, metric.unit)}"
    )
    if verdict.lower is not None or verdict.upper is not None:
        text += f" (normal: {notifications.range_text(verdict.lower, verdict.upper, metric.unit)})"
    return text + "."


def _fire(
    conn: Connection, rule: RuleInfo, bucket: Period, verdict: Verdict, now: dt.datetime
) -> int:
    existing = conn.execute(
        select(alert.c.id).where(
            alert.c.rule_id == rule.id,
            alert.c.period_start == bucket.start,
            alert.c.period_end == bucket.end,
        )
    ).scalar()
    if existing is not None:  # the same bucket breached again after a data correction
        conn.execute(update(alert).where(alert.c.id == existing).values(episode_ended_at=None))
        return existing
    values = {
        "rule_id": rule.id,
        "grain": rule.grain,
        "period_start": bucket.start,
        "period_end": bucket.end,
        "comparison_start": verdict.comparison.start if verdict.comparison else None,
        "comparison_end": verdict.comparison.end if verdict.comparison else None,
        "observed": _stored(verdict.observed),
        "expected": _stored(verdict.expected),
        "lower": _stored(verdict.lower),
        "upper": _stored(verdict.upper),
        "direction": verdict.direction,
        "message": describe(rule, bucket, verdict),
        "rule_snapshot": rule.snapshot(),
        "state": "open",
        "fired_at": now,
        "due_at": now + ROOT_CAUSE_DUE,
        "updated_at": now,
    }
    alert_id = conn.execute(alert.insert().values(**values).returning(alert.c.id)).scalar_one()
    record_event(conn, alert_id, now, SYSTEM_ACTOR, "fire", note=values["message"], to_state="open")
    audit.record(
        conn,
        SYSTEM_ACTOR,
        "alert.fire",
        "alert",
        alert_id,
        None,
        {
            "rule_id": rule.id,
            "period": [bucket.start, bucket.end],
            "state": "open",
            "observed": values["observed"],
            "expected": values["expected"],
        },
    )
    notifications.queue(conn, alert_id, "fired", rule.recipients, now)
    return alert_id


def record_verdict(
    conn: Connection, rule: RuleInfo, bucket: Period, verdict: Verdict | None, now: dt.datetime
) -> tuple[str, int | None]:
    """Apply one verdict to the rule's episode; returns (outcome, alert id).

    Outcomes: ``fired``, ``continuing`` (breach within an open episode), ``rearmed`` (episode
    ended), ``normal``, ``unjudged`` (no verdict) or ``stale`` (older than the last bucket).
    """
    query = select(state).where(state.c.rule_id == rule.id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    current = conn.execute(query).mappings().first()
    if current is None:
        conn.execute(
            insert_for(conn, state)
            .values(rule_id=rule.id)
            .on_conflict_do_nothing(index_elements=["rule_id"])
        )
        current = conn.execute(query).mappings().one()
    if current["last_period_end"] is not None and bucket.end < current["last_period_end"]:
        return "stale", None
    if verdict is None:
        return "unjudged", None
    open_alert = current["open_alert_id"]
    if verdict.breach:
        if open_alert is not None:
            outcome, alert_id = "continuing", open_alert
        else:
            outcome, alert_id = "fired", _fire(conn, rule, bucket, verdict, now)
            open_alert = alert_id
    elif open_alert is not None:
        conn.execute(update(alert).where(alert.c.id == open_alert).values(episode_ended_at=now))
        note = f"{rule.metric} back within normal for {bucket.start} – {bucket.end}"
        record_event(conn, open_alert, now, SYSTEM_ACTOR, "back_to_normal", note=note)
        outcome, alert_id, open_alert = "rearmed", open_alert, None
    else:
        outcome, alert_id = "normal", None
    conn.execute(
        update(state)
        .where(state.c.rule_id == rule.id)
        .values(last_period_end=bucket.end, open_alert_id=open_alert, evaluated_at=now)
    )
    return outcome, alert_id
