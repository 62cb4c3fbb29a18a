"""Every executive page's data callback, cold and warm, vs its headline numbers by raw GROUP BY.

Cold: the analytics cache (analytics/cache.py) of the benchmark database emptied before
each call, so every rollup query and computation runs; PostgreSQL's own buffer cache
stays warm. Warm: the same call again, served from the cache. The baseline computes the
numbers each page leads with straight from the raw order table, in the same run.
"""

from __future__ import annotations

import sys

from sqlalchemy import text

from bench.bench_overview import NAME
from bench.bench_overview import RAW_GROUP_BY
from bench.bench_overview import build
from bench.common import Section
from bench.common import compared_ranges
from bench.common import database_url
from bench.common import existing_orders
from bench.common import median_and_p95
from bench.common import timings
from bench.common import use_database
from db.engine import get_engine

PAGES = ("overview", "trends", "contribution", "targets")
# Data callbacks timed: each page's, and the Contribution page's AOV callback on its own.
CALLBACKS = ("overview", "trends", "contribution", "contribution AOV", "targets")
QUERIES = [
    ("2026-04-01", "2026-06-30", None),
    ("2025-07-01", "2026-06-30", None),
    ("2026-01-01", "2026-06-30", ["touchpoint:physical_store", "touchpoint:web"]),
]

_FROM = """
    FROM sales_order o
    JOIN touchpoint t ON t.id = o.touchpoint_id
    JOIN channel_category c ON c.id = t.category_id
    WHERE o.order_day BETWEEN :start AND :end AND o.status <> 'cancelled'
      AND (cardinality(CAST(:categories AS text[])) = 0 OR c.code = ANY(:categories))
      AND (cardinality(CAST(:touchpoints AS text[])) = 0 OR t.code = ANY(:touchpoints))
"""
# Trends: revenue and orders per day and category (the daily series the trend calls test).
RAW_DAILY = text(f"SELECT o.order_day, c.code, sum(o.revenue_base), count(*) {_FROM} GROUP BY 1, 2")
# Contribution: revenue and orders per month and category (shares over time, waterfall, AOV).
RAW_MONTHLY = text(
    "SELECT date_trunc('month', o.order_day), c.code, sum(o.revenue_base), count(*) "
    f"{_FROM} GROUP BY 1, 2"
)
# Targets: revenue, orders and cost per category (actual against target).
RAW_TOTALS = text(
    f"SELECT c.code, sum(o.revenue_base), count(*), sum(o.cost_of_goods_base) {_FROM} GROUP BY 1"
)


def _codes(channels: list[str] | None) -> dict[str, list[str]]:
    """The channel filter's values as the baseline's parameters (kinds AND-ed, as on the pages)."""
    chosen: dict[str, list[str]] = {"categories": [], "touchpoints": []}
    for value in channels or []:
        kind, code = value.split(":", 1)
        chosen["categories" if kind == "category" else "touchpoints"].append(code)
    return chosen


def _raw_queries(page: str, start: str, end: str, channels: list[str] | None):
    """(statement, parameters) of the page's baseline: one GROUP BY per period it shows."""
    spans = compared_ranges(start, end)
    codes = _codes(channels)
    if page == "overview":
        return [(RAW_GROUP_BY, {"start": a, "end": b}) for a, b in spans.values()]
    if page == "trends":
        last = spans["now"][1]  # every query ends on a month's last day
        month = (last.replace(year=last.year - 1, day=1), last.replace(year=last.year - 1))
        return [
            (RAW_DAILY, {"start": spans["now"][0], "end": last, **codes}),
            (RAW_TOTALS, {"start": month[0], "end": month[1], **codes}),
        ]
    if page.startswith("contribution"):
        return [
            (RAW_MONTHLY, {"start": a, "end": b, **codes}) for a, b in (spans["now"], spans["ly"])
        ]
    return [(RAW_TOTALS, {"start": spans["now"][0], "end": spans["now"][1], **codes})]


def _callbacks(url: str) -> dict:
    """``CALLBACKS`` name → the data callback, called with (start, end, channels) like the
    page does."""
    use_database(url)
    from dashapp.app import create_app

    create_app()
    pages = {name: sys.modules[f"pages.{name}"] for name in PAGES}
    return {
        "overview": lambda s, e, c: pages["overview"].update_overview(s, e, c, None),
        "trends": lambda s, e, c: pages["trends"].update_trends(s, e, c, None, "revenue"),
        "contribution": lambda s, e, c: pages["contribution"].update_contribution(
            s, e, c, None, "yoy"
        ),
        "contribution AOV": lambda s, e, c: pages["contribution"].update_aov(s, e, c, None, "yoy"),
        "targets": lambda s, e, c: pages["targets"].update_targets(s, e, c, None),
    }


def clear_analytics_cache(url: str) -> None:
    """Drop the memoised results of one database (its stamps stay, as after a restart)."""
    from analytics.cache import PREFIX
    from analytics.cache import backends
    from analytics.cache import namespace
    from db.settings import get_settings

    redis_url = get_settings().redis_url
    if not redis_url:
        backends()[0].clear()
        return
    from redis import Redis

    client = Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{PREFIX}{namespace(url)}:*", count=1000))
    if keys:
        client.delete(*keys)


def run(n_orders: int = 10_000_000, cold_repeat: int = 20, warm_repeat: int = 20) -> Section:
    built = None
    if abs(existing_orders(NAME) - n_orders) > n_orders * 0.05:
        built = build(n_orders)
    url = database_url(NAME)
    callbacks = _callbacks(url)
    engine = get_engine(url)
    with engine.connect() as conn:
        orders = conn.execute(text("SELECT count(*) FROM sales_order")).scalar()
    section = Section(
        f"Executive pages' data callbacks over {orders:,} orders (bench/bench_pages.py)"
    )
    section.lines = [
        "Each page's data callback as the page calls it (figures and grid rows included; "
        "the Contribution page's AOV flags come from a callback of their own). "
        "Cold: the analytics cache emptied before every call (PostgreSQL's buffer cache "
        f"stays warm), {cold_repeat} calls; warm: served from the cache, {warm_repeat} calls. "
        "Baseline: the page's headline numbers by GROUP BY over the raw order table, one "
        "query per period shown (Overview: revenue, orders, cost and new customers per "
        "category for the period, prior period and last year; Trends: revenue and orders "
        "per day and category, plus last year's month; Contribution: revenue and orders per "
        "month and category, period and last year; Targets: revenue, orders and cost per "
        "category)." + (f" Database built in {built:.0f} s." if built else "")
    ]
    section.table = [
        [
            "page",
            "query",
            "cold median ms",
            "cold p95 ms",
            "warm median ms",
            "warm p95 ms",
            "raw GROUP BY median ms",
            "raw GROUP BY p95 ms",
        ]
    ]
    for page in CALLBACKS:
        callback = callbacks[page]
        for start, end, channels in QUERIES:

            def cold(s=start, e=end, c=channels, callback=callback):
                clear_analytics_cache(url)
                callback(s, e, c)

            cold_ms = timings(cold, cold_repeat, warmup=1)
            warm_ms = timings(
                lambda s=start, e=end, c=channels, f=callback: f(s, e, c), warm_repeat
            )
            statements = _raw_queries(page, start, end, channels)

            def raw(statements=statements):
                with engine.connect() as conn:
                    for statement, parameters in statements:
                        conn.execute(statement, parameters).all()

            raw_ms = timings(raw, max(3, cold_repeat), warmup=1)
            section.table.append(
                [
                    page,
                    f"{start} – {end} {','.join(channels or ['all'])}",
                    *median_and_p95(cold_ms, 0),
                    *median_and_p95(warm_ms, 1),
                    *median_and_p95(raw_ms, 0),
                ]
            )
    return section


if __name__ == "__main__":
    print(run().markdown())
