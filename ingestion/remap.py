"""`channelperf remap`: re-derive past orders' touchpoints with the current channel rules.

Orders keep their raw touchpoint fields (``touchpoint_raw``), so each distinct
(source system, raw fields) pair is matched once and its orders updated in bulk.
The rollups of every day whose figures move (order days and refund days of the
orders that changed touchpoint) are rebuilt in the same transaction, and the
change is audited with the number of orders moved per (from, to) touchpoint.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from dataclasses import field

from sqlalchemy import select
from sqlalchemy import update

from db import audit
from db.engine import get_engine
from db.events import batch_committed
from db.roles import Actor
from db.rollups import refresh_rollups
from db.schema import Refund
from db.schema import SalesOrder
from db.schema import Touchpoint
from ingestion.rules import load_rules
from ingestion.runs import touch_data_stamp


@dataclass
class RemapResult:
    version: int
    moved: Counter = field(default_factory=Counter)  # (from code, to code) → orders
    restamped: int = 0
    days: set[dt.date] = field(default_factory=set)

    @property
    def orders_moved(self) -> int:
        return sum(self.moved.values())


def parse_touchpoint_raw(raw: str) -> dict[str, str]:
    """The fields of ``field=value;field=value`` (the inverse of ``mapping.touchpoint_raw``)."""
    fields = {}
    for part in raw.split(";") if raw else []:
        name, _, value = part.partition("=")
        fields[name] = value
    return fields


def remap(actor: Actor) -> RemapResult:
    """Re-derive every order's touchpoint with the current rules (admins only; see above)."""
    actor.require("admin", "remap orders to channels")
    order = SalesOrder.__table__
    refund = Refund.__table__
    engine = get_engine()
    with engine.begin() as conn:
        rules = load_rules(conn)
        ids = dict(conn.execute(select(Touchpoint.code, Touchpoint.id)).all())
        codes = {v: k for k, v in ids.items()}
        result = RemapResult(rules.version)
        pairs = conn.execute(
            select(order.c.source_system, order.c.touchpoint_raw, order.c.touchpoint_id)
            .distinct()
            .order_by(order.c.source_system, order.c.touchpoint_raw)
        ).all()
        for system, raw, current in pairs:
            target = ids.get(rules.match(system, parse_touchpoint_raw(raw)), ids["unassigned"])
            same = (order.c.source_system == system, order.c.touchpoint_raw == raw)
            if target != current:
                moved = conn.execute(
                    update(order)
                    .where(*same, order.c.touchpoint_id == current)
                    .values(touchpoint_id=target, mapping_version=rules.version)
                    .returning(order.c.id, order.c.order_day)
                ).all()
                result.moved[codes[current], codes[target]] += len(moved)
                result.days |= {day for _, day in moved}
                moved_ids = [order_id for order_id, _ in moved]
                for start in range(0, len(moved_ids), 10_000):
                    result.days |= set(
                        conn.execute(
                            select(refund.c.refund_day)
                            .where(refund.c.order_id.in_(moved_ids[start : start + 10_000]))
                            .distinct()
                        ).scalars()
                    )
        result.restamped = conn.execute(
            update(order)
            .where(order.c.mapping_version != rules.version)
            .values(mapping_version=rules.version)
        ).rowcount
        refresh_rollups(conn, result.days)
        if result.days:
            touch_data_stamp(conn)
        audit.record(
            conn,
            actor.name,
            "orders.remap",
            "channel_rule_set",
            rules.version,
            None,
            {
                "version": rules.version,
                "moved": {f"{a}->{b}": n for (a, b), n in sorted(result.moved.items())},
                "days": len(result.days),
            },
        )
    batch_committed(result.days)
    return result
