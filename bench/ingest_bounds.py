"""What bounds a first load of ``bench.bench_ingest``: PostgreSQL storing the loaded rows
again by COPY into copies of the order tables (``storing_seconds``), and, with the mapping
time the first load's run measures, the least time both need over two cores (``bound_text``).
"""

from __future__ import annotations

import tempfile
import time

from sqlalchemy import text

from db.partitions import ORDER_PARTITION_OPTIONS


def _copy_of(conn, table: str) -> str:
    """A plain table like ``table``: its indexes, its payload storage (``db.partitions``), and
    for ``order_line`` the reference to its orders' copy, as each month's partition has."""
    copy = f"floor_{table}"
    conn.execute(text(f"DROP TABLE IF EXISTS {copy}"))
    options = ORDER_PARTITION_OPTIONS if table == "sales_order" else ""
    conn.execute(text(f"CREATE TABLE {copy} (LIKE {table} INCLUDING ALL) {options}"))
    if table == "sales_order":
        conn.execute(text(f"ALTER TABLE {copy} ALTER COLUMN raw_payload SET COMPRESSION lz4"))
    if table == "order_line":
        conn.execute(
            text(
                f"ALTER TABLE {copy} ADD FOREIGN KEY (order_id, order_day) "
                "REFERENCES floor_sales_order (id, order_day)"
            )
        )
    return copy


def _stored_columns(conn, table: str) -> str:
    names = conn.execute(
        text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = :table "
            "AND is_generated = 'NEVER' ORDER BY ordinal_position"
        ),
        {"table": table},
    ).scalars()
    return ", ".join(f'"{name}"' for name in names)


def storing_seconds(url: str) -> float:
    """PostgreSQL's time to store the loaded orders, lines and refunds again by COPY into
    copies of their tables (``_copy_of``): what any loader pays for these rows in this schema,
    without staging, merging, customers or rollups. The rows are read out into a file first,
    untimed."""
    from db.engine import get_engine

    engine = get_engine(url)
    seconds = 0.0
    with tempfile.TemporaryFile() as rows:
        for table in ("sales_order", "order_line", "refund"):
            rows.seek(0)
            rows.truncate()
            with engine.begin() as conn:
                copy = _copy_of(conn, table)
                columns = _stored_columns(conn, copy)
                cursor = conn.connection.driver_connection.cursor()
                with cursor.copy(f"COPY (SELECT {columns} FROM {table}) TO STDOUT") as out:
                    for data in out:
                        rows.write(data)
                rows.seek(0)
                start = time.perf_counter()
                with cursor.copy(f"COPY {copy} ({columns}) FROM STDIN") as into:
                    while data := rows.read(1 << 20):
                        into.write(data)
            seconds += time.perf_counter() - start
    with engine.begin() as conn:
        for table in ("floor_order_line", "floor_refund", "floor_sales_order"):
            conn.execute(text(f"DROP TABLE {table}"))
    return seconds


def bound_text(first: dict) -> str:
    """What mapping and storing alone take, against the first-load goal's time."""
    mapping, storing, copy = (
        first[k] for k in ("mapping_seconds", "storing_seconds", "copy_seconds")
    )
    bound = (mapping + storing) / 2
    goal = copy / 0.35
    return (
        f"What bounds a first load: mapping the payloads alone takes {mapping:.1f} s in one "
        f"process, and PostgreSQL alone takes {storing:.1f} s to store the loaded orders, lines "
        "and refunds again in copies of their tables (one COPY each, no staging, merge, "
        "customers or rollups; the same indexes, payload storage and lines' reference to their "
        f"orders). Those two alone need at least {bound:.1f} s of the two cores "
        f"({copy / bound:.2f}× raw COPY) even with nothing else to do and both cores busy all the "
        f"time; the 0.35× goal allows {goal:.1f} s"
        + (
            ": below that bound, out of reach of any write path over this schema and mapper."
            if goal < bound
            else "."
        )
    )
