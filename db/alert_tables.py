"""Alert tables: rules, each rule's episode state, alerts, their workflow events, root causes
and the notification outbox.

An alert is one episode of a rule's breach: ``alert_rule_state`` remembers the open episode
so a breach that lasts several buckets alerts once, and the rule re-arms when the metric
is back to normal. Notifications go through ``alert_notification`` (an outbox) whose
``idempotency_key`` (alert × purpose × channel × recipient) is unique, so a notification is
queued once and marked sent at most once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import func
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from db.schema import Base
from db.schema import Id
from db.schema import Payload
from db.schema import Timestamp

# Metric values (money, counts, ratios) and thresholds.
MetricValue = Numeric(24, 8)


class AlertRule(Base):
    __tablename__ = "alert_rule"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    metric: Mapped[str] = mapped_column(String(40))
    # threshold | target_deviation | change | margin_below | band | shesd
    kind: Mapped[str] = mapped_column(String(30))
    # total | category | touchpoint (+ optional region and store)
    scope_type: Mapped[str] = mapped_column(String(20), default="total")
    scope_code: Mapped[str] = mapped_column(String(40), default="")
    region_code: Mapped[str | None] = mapped_column(String(40))
    location_code: Mapped[str | None] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(20), default="warning")  # info|warning|critical
    grain: Mapped[str] = mapped_column(String(10), default="day")  # day|week|month
    direction: Mapped[str] = mapped_column(String(10), default="both")  # above|below|both
    threshold: Mapped[Decimal | None] = mapped_column(MetricValue)
    comparison: Mapped[str | None] = mapped_column(String(10))  # prior|yoy (change rules)
    params: Mapped[dict | None] = mapped_column(Payload)  # detector settings (k, max_anoms, …)
    recipients: Mapped[dict | None] = mapped_column(Payload)  # {"emails": [...], "webhook": url}
    escalation: Mapped[dict | None] = mapped_column(Payload)  # same shape
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, server_default=func.now())
    created_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, server_default=func.now())
    updated_by: Mapped[str] = mapped_column(String(80))


class AlertRuleState(Base):
    """Where a rule stands: the last bucket judged and the alert of the open episode, if any."""

    __tablename__ = "alert_rule_state"
    rule_id: Mapped[int] = mapped_column(
        ForeignKey("alert_rule.id", ondelete="CASCADE"), primary_key=True
    )
    last_period_end: Mapped[dt.date | None] = mapped_column(Date)
    open_alert_id: Mapped[int | None] = mapped_column(Id)
    evaluated_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)


class Alert(Base):
    __tablename__ = "alert"
    __table_args__ = (
        UniqueConstraint("rule_id", "period_start", "period_end", name="uq_alert_rule_period"),
        Index("ix_alert_state", "state"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rule.id"))
    grain: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    comparison_start: Mapped[dt.date | None] = mapped_column(Date)
    comparison_end: Mapped[dt.date | None] = mapped_column(Date)
    observed: Mapped[Decimal | None] = mapped_column(MetricValue)
    expected: Mapped[Decimal | None] = mapped_column(MetricValue)
    lower: Mapped[Decimal | None] = mapped_column(MetricValue)
    upper: Mapped[Decimal | None] = mapped_column(MetricValue)
    direction: Mapped[str] = mapped_column(String(10))  # above|below
    message: Mapped[str] = mapped_column(Text)
    rule_snapshot: Mapped[dict] = mapped_column(Payload)
    # open | acknowledged | root_cause_submitted | resolved
    state: Mapped[str] = mapped_column(String(30), default="open")
    fired_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    due_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    episode_ended_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp)


class AlertEvent(Base):
    """One step of an alert's life: who moved it from which state to which, and when."""

    __tablename__ = "alert_event"
    __table_args__ = (Index("ix_alert_event_alert", "alert_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(Timestamp)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str | None] = mapped_column(Text)


class RcaNote(Base):
    """The root cause of an alert: a cause category, the analysis and the corrective action."""

    __tablename__ = "rca_note"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), unique=True)
    category: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    corrective_action: Mapped[str] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(String(80))
    submitted_at: Mapped[dt.datetime] = mapped_column(Timestamp)


class AlertNotification(Base):
    """Outbox: one message to one recipient over one channel, retried until sent or given up."""

    __tablename__ = "alert_notification"
    __table_args__ = (Index("ix_alert_notification_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))  # fired | escalation
    channel: Mapped[str] = mapped_column(String(20))  # email | webhook
    recipient: Mapped[str] = mapped_column(String(500))
    idempotency_key: Mapped[str] = mapped_column(String(700), unique=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[dict] = mapped_column(Payload)  # {"text": ..., "blocks": [...]}
    # pending | sending | sent | failed
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    sent_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
