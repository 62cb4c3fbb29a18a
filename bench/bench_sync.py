"""A connector sync's backfill: Shopify's 250-order API pages loaded one by one, or joined.

A local server answers the Shopify Admin API's orders endpoint as Shopify pages it (250 a
page, oldest change first, next page through the Link header) with the demo's orders as
Shopify payloads. ``channelperf``'s sync of that source runs twice on fresh databases, the
same process and the same payloads: each API page loaded as its own transaction (the
``sync_join_records`` setting at 250, the path before pages were joined), and consecutive
pages joined into loads of up to 5,000 orders (the default, ``ingestion.sync.coalesce``).
Both must leave the same orders; the figure is the joined sync's rate against the page by
page one. Beside them, the first ``PUSHES`` orders loaded as webhook pushes are, one order a
transaction (``ingest_push`` without its queue): the fixed cost of a load.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from contextlib import contextmanager

from sqlalchemy import text
from werkzeug import Request
from werkzeug import Response
from werkzeug.serving import make_server

from bench.bench_ingest import seed_reference
from bench.common import Section
from bench.common import fresh_database
from db.engine import get_engine
from db.roles import system
from db.settings import get_settings
from ingestion.connectors.shopify import PAGE_SIZE
from ingestion.sources import add_source
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import load_page
from ingestion.sync import sync_source

SEED = 29
END = "2026-06-30"
TOKEN_ENV = "CP_BENCH_SHOP_TOKEN"
PUSHES = 500


def shopify_payloads(n_orders: int) -> list[dict]:
    """About ``n_orders`` demo orders of the Shopify source, as the API returns them, oldest
    change first."""
    import datetime as dt

    from ingestion.demo import generate
    from ingestion.demo.native import native_orders

    end = dt.date.fromisoformat(END)
    payloads = []
    for chunk in generate(n_orders * 2, SEED, end, years=1, chunk_days=28):
        payloads += native_orders(chunk.orders).shopify
    payloads.sort(key=lambda o: (o["updated_at"], o["id"]))
    return payloads[:n_orders]


def _answer(payloads: list[dict]):
    def app(environ, start_response):
        request = Request(environ)
        offset = int(request.args.get("page_info", 0))
        page = payloads[offset : offset + PAGE_SIZE]
        headers = {}
        if offset + PAGE_SIZE < len(payloads):
            following = f"{request.base_url}?limit={PAGE_SIZE}&page_info={offset + PAGE_SIZE}"
            headers["Link"] = f'<{following}>; rel="next"'
        body = json.dumps({"orders": page})
        return Response(body, headers=headers, content_type="application/json")(
            environ, start_response
        )

    return app


@contextmanager
def served_shop(payloads: list[dict]):
    """The payloads served as Shopify's orders endpoint; yields the shop's base URL."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, _answer(payloads), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()


def timed_sync(shop_url: str, join_records: int) -> tuple[float, int, int]:
    """Seconds, orders stored and ingest runs of a whole sync with loads of ``join_records``."""
    import os

    url = fresh_database("cp_bench_sync")
    seed_reference(url)
    os.environ["CHANNELPERF_SYNC_JOIN_RECORDS"] = str(join_records)
    os.environ[TOKEN_ENV] = "bench-token"
    get_settings.cache_clear()
    add_source("shop", "shopify", "main-store", shop_url, secret_env=TOKEN_ENV, actor=system())
    start = time.perf_counter()
    result = sync_source("shop")
    seconds = time.perf_counter() - start
    with get_engine(url).connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM sales_order")).scalar()
    get_engine(url).dispose()
    return seconds, stored, result.runs


def timed_pushes(payloads: list[dict]) -> float:
    """Seconds to load each payload as its own push, on a fresh database."""
    url = fresh_database("cp_bench_sync")
    seed_reference(url)
    engine = get_engine(url)
    origin = Origin("shopify", "main-store", "webhook", None)
    start = time.perf_counter()
    for payload in payloads:
        load_page(engine, origin, [Incoming(None, json.dumps(payload).encode())])
    seconds = time.perf_counter() - start
    engine.dispose()
    return seconds


def run(n_orders: int = 50_000) -> Section:
    payloads = shopify_payloads(n_orders)
    with served_shop(payloads) as shop_url:
        by_page = timed_sync(shop_url, PAGE_SIZE)
        joined = timed_sync(shop_url, 5_000)
    pushed = timed_pushes(payloads[:PUSHES])
    if by_page[1] != joined[1] or joined[1] != len(payloads):
        raise AssertionError(
            f"of {len(payloads)} orders the syncs stored {by_page[1]} and {joined[1]}"
        )
    orders = joined[1]
    section = Section(f"Syncing {orders:,} Shopify orders from its API (bench/bench_sync.py)")
    section.lines = [
        f"A local server pages {len(payloads):,} demo orders as Shopify's Admin API does "
        f"({PAGE_SIZE} a page, Link header); the source's whole sync (fetch, map, load with "
        "rejects, runs, cursor, rollups) on a fresh database, twice in one process: each API "
        "page loaded as its own transaction, and consecutive pages joined into loads of up "
        f"to 5,000 orders; and the first {PUSHES} orders as webhook pushes, one order a "
        "transaction. Baseline: the page by page sync.",
    ]
    section.table = [["loads", "transactions", "seconds", "orders/s", "ratio to page by page"]]
    for label, (seconds, _, runs) in (
        (f"each API page ({PAGE_SIZE} orders)", by_page),
        ("pages joined (up to 5,000 orders)", joined),
    ):
        section.table.append(
            [
                label,
                f"{runs:,}",
                f"{seconds:.1f}",
                f"{orders / seconds:,.0f}",
                f"{by_page[0] / seconds:.2f}",
            ]
        )
    by_page_rate = orders / by_page[0]
    push_rate = PUSHES / pushed
    section.table.append(
        [
            "webhook pushes (1 order each)",
            f"{PUSHES:,}",
            f"{pushed:.1f}",
            f"{push_rate:,.1f}",
            f"{push_rate / by_page_rate:.2f}",
        ]
    )
    return section


if __name__ == "__main__":
    import sys

    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000).markdown())
