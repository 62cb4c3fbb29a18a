"""What refers to a channel: the rows that make it "in use" (and so never deleted), and the days
its data covers (whose cached results a change of its name or category makes stale).

References by foreign key are found from the schema, so a table added later that points at a
touchpoint or a category counts without a change here; the references by id or code that
carry no foreign key (rollups, targets, alert rule scopes, forecast series) are listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import Connection
from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import select

from db.alert_tables import AlertRule
from db.forecast_tables import Forecast
from db.rollup_tables import DailyChannelRollup
from db.schema import Base
from db.schema import ChannelCategory
from db.schema import Touchpoint
from db.target_tables import Target

LABELS = {
    "sales_order": "orders",
    "traffic": "traffic rows",
    "marketing_spend": "spend rows",
    "touch": "journey touches",
    "customer": "customers first reached there",
    "channel_rule": "channel rules",
    "budget_plan_line": "budget plan lines",
    "touchpoint": "touchpoints",
}


def _referring_columns(table) -> list:
    """Columns of any table with a foreign key to ``table.id``."""
    return [
        fk.parent
        for other in Base.metadata.sorted_tables
        for fk in other.foreign_keys
        if fk.column.table is table and fk.column.name == "id"
    ]


def _kind(row: ChannelCategory | Touchpoint) -> str:
    return "category" if isinstance(row, ChannelCategory) else "touchpoint"


def usage(conn: Connection, row: ChannelCategory | Touchpoint) -> dict[str, int]:
    """``what → count`` of everything that refers to the channel (empty when unused)."""
    kind = _kind(row)
    target, rule, forecast = Target.__table__, AlertRule.__table__, Forecast.__table__
    references = [
        (LABELS.get(c.table.name, c.table.name.replace("_", " ")), c == row.id)
        for c in _referring_columns(type(row).__table__)
    ]
    if kind == "touchpoint":
        references.append(("days of data", DailyChannelRollup.__table__.c.touchpoint_id == row.id))
    references += [
        ("targets", and_(target.c.scope_type == kind, target.c.scope_id == row.id)),
        ("alert rules", and_(rule.c.scope_type == kind, rule.c.scope_code == row.code)),
        ("forecast rows", forecast.c.unique_id.startswith(f"{kind}:{row.code}:")),
    ]
    counts: dict[str, int] = {}
    for what, condition in references:
        found = conn.execute(select(func.count()).where(condition)).scalar_one()
        if found:
            counts[what] = counts.get(what, 0) + found
    return counts


def watching_alert_rules(conn: Connection, row: ChannelCategory | Touchpoint) -> list[str]:
    """The active alert rules scoped to the channel, as ``#id name``."""
    rule = AlertRule.__table__
    query = (
        select(rule.c.id, rule.c.name)
        .where(
            rule.c.active.is_(True),
            rule.c.scope_type == _kind(row),
            rule.c.scope_code == row.code,
        )
        .order_by(rule.c.id)
    )
    return [f"#{found.id} {found.name}" for found in conn.execute(query)]


def targets_from(
    conn: Connection, row: ChannelCategory | Touchpoint, day: dt.date
) -> tuple[int, dt.date | None]:
    """How many of the channel's targets run on ``day`` or later, and the last day they reach."""
    target = Target.__table__
    query = select(func.count(), func.max(target.c.period_end)).where(
        target.c.scope_type == _kind(row),
        target.c.scope_id == row.id,
        target.c.period_end >= day,
    )
    return tuple(conn.execute(query).one())


def days_of(conn: Connection, touchpoint_ids: Iterable[int]) -> list[dt.date]:
    """Every day with rolled-up data (orders, refunds, traffic, spend) of the touchpoints."""
    ids = list(touchpoint_ids)
    if not ids:
        return []
    rollup = DailyChannelRollup.__table__
    query = select(rollup.c.day).where(rollup.c.touchpoint_id.in_(ids)).distinct()
    return sorted(conn.execute(query).scalars())
