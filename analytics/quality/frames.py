"""The day's orders (with their lines summed) and order lines, as frames for the schema checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
from sqlalchemy import Connection
from sqlalchemy import func
from sqlalchemy import select

from db.schema import OrderLine
from db.schema import SalesOrder

orders = SalesOrder.__table__
lines = OrderLine.__table__

ORDER_AMOUNTS = ("subtotal", "discount", "tax", "shipping", "total", "refund_total")
LINE_AMOUNTS = ("unit_price", "discount", "line_total")


def day_orders(conn: Connection, day: dt.date) -> pd.DataFrame:
    """One row per order of the day: keys, status, currency, amounts, line count and line sum."""
    per_order = (
        select(
            lines.c.order_id,
            func.count().label("line_count"),
            func.sum(lines.c.line_total).label("line_sum"),
        )
        .group_by(lines.c.order_id)
        .subquery()
    )
    query = (
        select(
            orders.c.id,
            orders.c.source_system,
            orders.c.source_instance,
            orders.c.source_order_id,
            orders.c.status,
            orders.c.currency,
            *(orders.c[name] for name in ORDER_AMOUNTS),
            func.coalesce(per_order.c.line_count, 0).label("line_count"),
            func.coalesce(per_order.c.line_sum, Decimal(0)).label("line_sum"),
        )
        .outerjoin(per_order, per_order.c.order_id == orders.c.id)
        .where(orders.c.order_day == day)
        .order_by(orders.c.id)
    )
    frame = pd.DataFrame(conn.execute(query).mappings().all())
    if frame.empty:
        frame = pd.DataFrame(columns=[c.name for c in query.selected_columns])
    frame["line_sum"] = frame["line_sum"].map(Decimal)
    return frame


def day_lines(conn: Connection, day: dt.date) -> pd.DataFrame:
    query = (
        select(
            lines.c.order_id,
            lines.c.line_no,
            lines.c.sku,
            lines.c.qty,
            *(lines.c[name] for name in LINE_AMOUNTS),
        )
        .join(orders, orders.c.id == lines.c.order_id)
        .where(orders.c.order_day == day)
        .order_by(lines.c.order_id, lines.c.line_no)
    )
    frame = pd.DataFrame(conn.execute(query).mappings().all())
    if frame.empty:
        frame = pd.DataFrame(columns=[c.name for c in query.selected_columns])
    return frame
