"""Loading generated orders through the loader vs a raw COPY of the same rows (same run)."""

from __future__ import annotations

import datetime as dt
import time

from sqlalchemy import text

from bench.common import Section
from bench.common import fresh_database
from db.engine import get_engine
from ingestion.batch import LINE_COLUMNS
from ingestion.batch import ORDER_COLUMNS
from ingestion.demo import generate
from ingestion.demo import reference_data
from ingestion.frames import frame_rows
from ingestion.loader import load_orders
from ingestion.reference import upsert_reference

END = dt.date(2026, 6, 30)
RAW_TABLES = f"""
CREATE UNLOGGED TABLE raw_order ({", ".join(f'"{c}" text' for c in ORDER_COLUMNS)});
CREATE UNLOGGED TABLE raw_line ({", ".join(f'"{c}" text' for c in LINE_COLUMNS)});
"""


def _raw_copy(conn, table: str, frame, columns) -> None:
    cursor = conn.connection.driver_connection.cursor()
    names = ", ".join(f'"{c}"' for c in columns)
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in frame_rows(frame, columns):
            copy.write_row(row)


def run(n_orders: int = 1_000_000, seed: int = 21) -> Section:
    url = fresh_database("cp_bench_load")
    engine = get_engine(url)
    reference = reference_data()
    with engine.begin() as conn:
        upsert_reference(conn, reference.regions, reference.locations, reference.products)
        for statement in RAW_TABLES.strip().split(";\n"):
            conn.execute(text(statement))
    loader_seconds = copy_seconds = 0.0
    loaded = 0
    for chunk in generate(n_orders, seed, END, years=3, chunk_days=28):
        batch = chunk.orders
        payload_free = batch.orders.assign(payload=None)
        start = time.perf_counter()
        with engine.begin() as conn:
            _raw_copy(conn, "raw_order", payload_free, ORDER_COLUMNS)
            _raw_copy(conn, "raw_line", batch.lines, LINE_COLUMNS)
        copy_seconds += time.perf_counter() - start
        start = time.perf_counter()
        with engine.begin() as conn:
            result = load_orders(conn, batch)
        loader_seconds += time.perf_counter() - start
        loaded += result.inserted
    loader_rate = loaded / loader_seconds
    copy_rate = loaded / copy_seconds
    section = Section(f"Loading {loaded:,} orders into PostgreSQL (bench/bench_load.py)")
    section.lines = [
        "Loader: stage through COPY, merge on the natural key, replace lines and refunds, "
        "new-customer flags, daily and product rollups for the touched days. Baseline: a raw "
        "COPY of the same canonical order and line rows into unindexed tables, same run.",
    ]
    section.table = [
        ["path", "seconds", "orders/s", "ratio to raw COPY"],
        [
            "loader (merge + rollups)",
            f"{loader_seconds:.1f}",
            f"{loader_rate:,.0f}",
            f"{loader_rate / copy_rate:.2f}",
        ],
        ["raw COPY", f"{copy_seconds:.1f}", f"{copy_rate:,.0f}", "1.00"],
    ]
    return section


if __name__ == "__main__":
    print(run().markdown())
