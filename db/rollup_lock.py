"""The order in which concurrent writers lock the rollups, so that none waits on another for good.

Two kinds of transaction write the rollups. A sync's page *adds* its new orders to them, row by
row (``INSERT … ON CONFLICT DO UPDATE``), in primary-key order, table after table in one fixed
order: pages of several sources loading at once lock the rows they share in the same order.
Everything else *recomputes* days (deletes their rows, inserts them again from the order tables):
a settle, a push, a file or traffic load, a remap. A recompute first takes every rollup table in
``SHARE ROW EXCLUSIVE`` mode (readers go on; adding pages wait for it, and it for the pages
already adding), before it writes any rollup row itself: a transaction that added rows first and
then asked for the table lock would wait on another doing the same. Without the lock a recompute
could also miss a page's rows not yet committed when it deleted the day, and then fail on them
as duplicates when it inserted the day again.

Before any of that, a page records the days and customers it leaves unsettled, and a settle
takes them, in the same order (``ingestion.unsettled``).
"""

from __future__ import annotations

from sqlalchemy import Connection

from db.rollup_tables import DailyBasketRollup
from db.rollup_tables import DailyChannelBasketRollup
from db.rollup_tables import DailyChannelRollup
from db.rollup_tables import DailyProductRollup
from db.rollup_tables import DailyRollup

ROLLUP_TABLES = tuple(
    table.__table__.name
    for table in (
        DailyRollup,
        DailyChannelRollup,
        DailyProductRollup,
        DailyBasketRollup,
        DailyChannelBasketRollup,
    )
)
"""In the order pages add to them (``db.rollups.add_new_orders``)."""


def lock_rollups_for_recompute(conn: Connection) -> None:
    """Take the rollup tables for a recompute, until the caller's transaction ends (PostgreSQL;
    SQLite has one writer at a time anyway)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"LOCK TABLE {', '.join(ROLLUP_TABLES)} IN SHARE ROW EXCLUSIVE MODE")
