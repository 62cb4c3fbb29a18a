"""The Overview's data callback over a large order table vs the same numbers by raw GROUP BY."""

from __future__ import annotations

import datetime as dt
import sys
import time

from sqlalchemy import text

from bench.common import Section
from bench.common import compared_ranges
from bench.common import database_url
from bench.common import existing_orders
from bench.common import fresh_database
from bench.common import median
from bench.common import median_and_p95
from bench.common import timings
from bench.common import use_database
from db.engine import get_engine
from ingestion.demo import generate
from ingestion.demo import generate_targets
from ingestion.demo import reference_data
from ingestion.pipeline import load_chunk
from ingestion.reference import upsert_reference

END = dt.date(2026, 6, 30)
NAME = "cp_bench_overview"

# The numbers the Overview shows, computed straight from the raw order table: revenue, orders,
# cost and new customers per category for a period, its prior period and the same period last
# year (refunds and traffic omitted, so the baseline does strictly less work).
RAW_GROUP_BY = text(
    """
    SELECT c.code, sum(o.revenue_base), count(*), sum(o.cost_of_goods_base),
           sum(CASE WHEN o.is_new_customer THEN 1 ELSE 0 END)
    FROM sales_order o
    JOIN touchpoint t ON t.id = o.touchpoint_id
    JOIN channel_category c ON c.id = t.category_id
    WHERE o.order_day BETWEEN :start AND :end AND o.status <> 'cancelled'
    GROUP BY c.code
    """
)


def build(n_orders: int, seed: int = 33) -> float:
    """Load the benchmark database once (reused while its order count matches)."""
    url = fresh_database(NAME)
    engine = get_engine(url)
    reference = reference_data()
    with engine.begin() as conn:
        upsert_reference(conn, reference.regions, reference.locations, reference.products)
    start = time.perf_counter()
    for chunk in generate(n_orders, seed, END, years=3, chunk_days=28):
        load_chunk(engine, chunk, "bench", "overview")
    from analytics.targets import import_targets
    from db.roles import system

    import_targets(generate_targets(n_orders, seed, END, years=3), system("bench"), url=url)
    # As autovacuum would have by the time anyone reads: statistics, and a visibility map
    # that lets index-only scans skip the heap.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - start


def _overview_callback():
    use_database(database_url(NAME))
    from dashapp.app import create_app

    create_app()
    return sys.modules["pages.overview"].update_overview


def run(n_orders: int = 10_000_000, repeat: int = 30) -> Section:
    built = None
    if abs(existing_orders(NAME) - n_orders) > n_orders * 0.05:
        built = build(n_orders)
    url = database_url(NAME)
    callback = _overview_callback()
    with get_engine(url).connect() as conn:
        orders = conn.execute(text("SELECT count(*) FROM sales_order")).scalar()
    periods = [
        ("2026-04-01", "2026-06-30", None),
        ("2026-01-01", "2026-06-30", ["category:ecommerce"]),
        ("2025-07-01", "2025-09-30", ["touchpoint:physical_store", "touchpoint:web"]),
    ]
    section = Section(f"Overview data callback over {orders:,} orders (bench/bench_overview.py)")
    section.lines = [
        "The callback (KPIs vs prior period, last year and target; revenue by channel; monthly "
        "share of total) reads the channel rollup (the daily rollup summed per day and "
        "touchpoint). Baseline: one GROUP BY over the raw order "
        "table per period shown (period, prior, last year), in the same run."
        + (f" Database built in {built:.0f} s." if built else "")
    ]
    section.table = [
        [
            "query",
            "callback median ms",
            "callback p95 ms",
            "raw GROUP BY median ms",
            "raw GROUP BY p95 ms",
            "speed-up (median)",
        ]
    ]
    for start, end, channels in periods:
        callback_ms = timings(lambda s=start, e=end, c=channels: callback(s, e, c, None), repeat)
        ranges = list(compared_ranges(start, end).values())

        def raw(ranges=ranges):
            with get_engine(url).connect() as conn:
                for a, b in ranges:
                    conn.execute(RAW_GROUP_BY, {"start": a, "end": b}).all()

        raw_ms = timings(raw, max(5, repeat // 6), warmup=1)
        section.table.append(
            [
                f"{start} – {end} {','.join(channels or ['all'])}",
                *median_and_p95(callback_ms, 1),
                *median_and_p95(raw_ms, 0),
                f"{median(raw_ms) / median(callback_ms):.0f}×",
            ]
        )
    return section


if __name__ == "__main__":
    print(run().markdown())
