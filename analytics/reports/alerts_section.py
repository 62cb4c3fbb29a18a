"""Open and overdue alerts for the report, read from the alert tables when they are installed.

The report is the executives' report: alerts on metrics an executive may not read (those
built on marketing spend) are left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from dataclasses import field

from sqlalchemy import case
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from analytics.metrics import METRICS
from analytics.metrics import readable
from db.engine import get_engine

try:
    from db.alert_tables import Alert
    from db.alert_tables import AlertRule
except ImportError:  # the alerts package is optional for reports
    Alert = AlertRule = None

CLOSED = ("resolved",)
# Root cause not yet submitted: past due_at these are overdue.
AWAITING_ROOT_CAUSE = ("open", "acknowledged")
LISTED = 10
READER = "executive"


@dataclass(frozen=True)
class AlertsSection:
    available: bool
    open: int = 0
    overdue: int = 0
    rows: list[dict] = field(default_factory=list)  # overdue first, then newest


def alerts_section(now: dt.datetime, url: str | None = None) -> AlertsSection:
    if Alert is None:
        return AlertsSection(available=False)
    alert, rule = Alert.__table__, AlertRule.__table__
    overdue = (alert.c.state.in_(AWAITING_ROOT_CAUSE)) & (alert.c.due_at < now)
    query = (
        select(
            alert.c.id,
            rule.c.name.label("rule"),
            rule.c.severity,
            alert.c.state,
            alert.c.fired_at,
            alert.c.due_at,
            alert.c.message,
            overdue.label("overdue"),
        )
        .join(rule, rule.c.id == alert.c.rule_id)
        .where(alert.c.state.not_in(CLOSED), rule.c.metric.in_(readable(METRICS, READER)))
        .order_by(case((overdue, 0), else_=1), alert.c.fired_at.desc())
    )
    try:
        with get_engine(url).connect() as conn:
            rows = [dict(r) for r in conn.execute(query).mappings()]
    except SQLAlchemyError:  # tables not migrated in this database
        return AlertsSection(available=False)
    return AlertsSection(
        available=True,
        open=len(rows),
        overdue=sum(bool(r["overdue"]) for r in rows),
        rows=rows[:LISTED],
    )
