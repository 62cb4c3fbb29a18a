"""Keys a sync's pages touched, settled once at the sync's end instead of once a page.

A page of a sync adds its new orders to the rollups as it commits (cheap: only the new rows
are read), but leaves the costly work to the end: the days it made stale (replaced orders,
their refunds) and the customers whose first order it may have moved. It records them here
in its own transaction, so they are on disk before the page commits: a sync killed before
its end leaves them for the next sync, which settles every key it finds, its own and those
left over. Recording a key locks its row until the page commits, so a settle running at the
same time waits for the page's orders before it takes the key. Pages record their days before
their customers, each in key order, and a settle locks them in that same order (the whole order
writers lock in, rollups included, is in ``db.rollup_lock``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import Column
from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select

from db.events import batch_committed
from db.rollup_tables import UnsettledCustomer
from db.rollup_tables import UnsettledDay
from db.rollups import refresh_rollups
from db.temporary import temporary_table
from db.upsert import insert_for
from ingestion.customers import reflag_customers

# pg_advisory_xact_lock key: one settle at a time, whichever worker runs it.
SETTLE_LOCK = 0x5E771E


def remember_days(conn: Connection, days: Iterable[dt.date]) -> None:
    """Days whose rollups the next settle recomputes whole (caller's transaction)."""
    rows = [{"day": day} for day in sorted(set(days))]
    if not rows:
        return
    table = UnsettledDay.__table__
    statement = insert_for(conn, table)
    touch = {"day": statement.excluded.day}
    conn.execute(statement.on_conflict_do_update(index_elements=["day"], set_=touch), rows)


def remember_customers(conn: Connection, keys) -> None:
    """Customers (``keys``: a SELECT of customer keys) whose new-customer flags the next settle
    rechecks (caller's transaction), in key order, as a settle locks them."""
    table = UnsettledCustomer.__table__
    ordered = keys.order_by(keys.selected_columns[0])
    statement = insert_for(conn, table).from_select(["customer_key"], ordered)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["customer_key"], set_={"customer_key": statement.excluded.customer_key}
        )
    )


def _taken_customers(conn: Connection) -> Table:
    """The unsettled customers, moved into a temporary table this transaction settles."""
    taken = temporary_table(
        conn, "settling_customer", Column("customer_key", String(64), primary_key=True)
    )
    unsettled = UnsettledCustomer.__table__
    if conn.dialect.name == "postgresql":
        _lock_in_key_order(conn, unsettled)
        conn.exec_driver_sql(
            "WITH taken AS (DELETE FROM unsettled_customer RETURNING customer_key) "
            "INSERT INTO settling_customer SELECT customer_key FROM taken"
        )
    else:
        conn.execute(taken.insert().from_select(["customer_key"], select(unsettled.c.customer_key)))
        conn.execute(delete(unsettled))
    return taken


def _lock_in_key_order(conn: Connection, table: Table) -> None:
    """Lock the rows of a table of keys in key order, the order pages record them in (a
    DELETE would lock them in the table's order: a page recording two of them could then hold
    one while waiting for the other, and the settle the reverse)."""
    keys = table.primary_key.columns
    locked = select(*keys).order_by(*keys).with_for_update().subquery()
    conn.execute(select(func.count()).select_from(locked))


def settle(engine: Engine) -> set[dt.date]:
    """Recheck every unsettled customer's flags and recompute every unsettled day's rollups
    (and the days whose flags flipped) in one transaction; returns the days recomputed."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(SETTLE_LOCK)))
        day_table = UnsettledDay.__table__
        if conn.dialect.name == "postgresql":
            _lock_in_key_order(conn, day_table)
        days = set(conn.execute(delete(day_table).returning(day_table.c.day)).scalars())
        taken = _taken_customers(conn)
        flipped = reflag_customers(conn, select(taken.c.customer_key))
        days |= {day for _, day in flipped}
        refresh_rollups(conn, days)
    batch_committed(days)
    return days
