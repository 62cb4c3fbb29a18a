"""Monthly partitions of the order tables (PostgreSQL): made before a load writes a month.

``sales_order`` and ``order_line`` are partitioned by range of ``order_day``, a partition a
calendar month, so a load maintains the indexes of the months it writes, not of the whole
history. Each month's lines reference that month's orders (``reference_orders``), not the
partitioned ``sales_order``: PostgreSQL checks a line's reference with one index probe of a
plain table, where a reference to the partitioned table costs a query over every month per
line. The loader makes the months a batch needs first, under a lock that keeps two loaders
from making the same one. A row written some other way for a month without a
partition (a manual fix, a test's seeded order) lands in the default partition, and that
month then stays there: a partition cannot be made over rows the default holds. SQLite keeps
plain tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import Connection
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

MONTHLY_TABLES = ("sales_order", "order_line")
# pg_advisory_xact_lock key while partitions are made.
PARTITION_LOCK = 0x9A27
# Payloads kept out of the order rows (see migration 0040), on every month's partition.
ORDER_PARTITION_OPTIONS = "WITH (toast_tuple_target = 128)"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def partition_name(table: str, month: dt.date) -> str:
    return f"{table}_{month:%Y_%m}"


def default_partition(table: str) -> str:
    return f"{table}_default"


def existing_months(conn: Connection, table: str) -> set[dt.date]:
    """The months ``table`` has a partition for, read from the partitions' names."""
    names = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = CAST(:table AS regclass) AND c.relname <> :default"
        ),
        {"table": table, "default": default_partition(table)},
    ).scalars()
    prefix = len(table) + 1
    return {dt.datetime.strptime(name[prefix:], "%Y_%m").date() for name in names}


def create_month(conn: Connection, month: dt.date) -> None:
    """The partitions of ``month`` of every monthly table (names and bounds are dates, not
    input, so they are formatted into the DDL); ``reference_orders`` then ties their lines to
    their orders."""
    bounds = f"FROM ('{month.isoformat()}') TO ('{next_month(month).isoformat()}')"
    order = partition_name("sales_order", month)
    conn.exec_driver_sql(
        f"CREATE TABLE IF NOT EXISTS {order} PARTITION OF sales_order FOR VALUES {bounds} "
        f"{ORDER_PARTITION_OPTIONS}"
    )
    conn.exec_driver_sql(f"ALTER TABLE {order} ALTER COLUMN raw_payload SET COMPRESSION lz4")
    line = partition_name("order_line", month)
    conn.exec_driver_sql(
        f"CREATE TABLE IF NOT EXISTS {line} PARTITION OF order_line FOR VALUES {bounds}"
    )


def reference_orders(conn: Connection, line: str, order: str) -> None:
    """The lines of partition ``line`` reference the orders of partition ``order`` (same bounds),
    deleted with them: an order and its lines share their day, so their month."""
    conn.exec_driver_sql(
        f"ALTER TABLE {line} ADD CONSTRAINT {line}_order_fkey FOREIGN KEY (order_id, order_day) "
        f"REFERENCES {order} (id, order_day) ON DELETE CASCADE"
    )


def create_defaults(conn: Connection) -> None:
    """The default partitions, for rows of months without their own."""
    for table in MONTHLY_TABLES:
        options = ORDER_PARTITION_OPTIONS if table == "sales_order" else ""
        conn.exec_driver_sql(
            f"CREATE TABLE {default_partition(table)} PARTITION OF {table} DEFAULT {options}"
        )


def _in_default(conn: Connection, month: dt.date) -> bool:
    """Whether the default partition holds orders of ``month``."""
    return conn.execute(
        text(
            f"SELECT EXISTS (SELECT FROM {default_partition('sales_order')} "
            "WHERE order_day >= :start AND order_day < :end)"
        ),
        {"start": month, "end": next_month(month)},
    ).scalar()


def ensure_months(conn: Connection, days: Iterable[dt.date]) -> set[dt.date]:
    """Make the monthly partitions ``days`` need and do not have yet, unless the default
    partition holds that month's orders (caller's transaction); returns the months made.
    Nothing on SQLite."""
    if conn.dialect.name != "postgresql":
        return set()
    needed = {month_start(day) for day in days}
    missing = needed - existing_months(conn, "sales_order")
    if not missing:
        return set()
    conn.execute(select(func.pg_advisory_xact_lock(PARTITION_LOCK)))
    missing -= existing_months(conn, "sales_order")
    missing = {month for month in missing if not _in_default(conn, month)}
    for month in sorted(missing):
        create_month(conn, month)
        reference_orders(
            conn, partition_name("order_line", month), partition_name("sales_order", month)
        )
    return missing
