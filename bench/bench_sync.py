"""A connector sync's backfill: Shopify's 250-order API pages loaded one by one, or joined.

A local server answers the Shopify Admin API's orders endpoint as Shopify pages it (250 a
page, oldest change first, next page through the Link header) with the demo's orders as
Shopify payloads. ``channelperf``'s sync of that source runs twice on fresh databases, the
same process and the same payloads: each API page loaded as its own transaction (the
``sync_join_records`` setting at 250, the path before pages were joined), and consecutive
pages joined into loads of up to 5,000 orders (the default, ``ingestion.sync.coalesce``).
Both must leave the same orders; the figure is the joined sync's rate against the page by
page one. Beside them, the first ``PUSHES`` orders pushed by webhook: each push loaded in turn
(``ingest_push`` without a queue: one order a transaction, the fixed cost of a load), and the
same pushes waiting on an RQ queue in a burst, drained as the ingest worker drains them.
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
from ingestion.sync import sync_source

SEED = 29
END = "2026-06-30"
TOKEN_ENV = "CP_BENCH_SHOP_TOKEN"
REDIS_URL = "redis://127.0.0.1:6379/0"
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


def timed_pushes(payloads: list[dict], shop_url: str, queued: bool) -> tuple[float, int, int]:
    """Seconds, orders stored and loads of ``payloads`` pushed by webhook, on a fresh database:
    each ``ingest_push`` called in turn, or (``queued``) a burst of push jobs waiting on an RQ
    queue, drained by the ingest worker's loop (``drain_queue``), which joins them."""
    import os
    import uuid

    from rq import Queue

    from db.jobs import redis_connection
    from ingestion.sync.pushes import PUSH_JOB
    from ingestion.sync.pushes import ingest_push
    from ingestion.worker import drain_queue

    url = fresh_database("cp_bench_sync")
    seed_reference(url)
    os.environ[TOKEN_ENV] = "bench-token"
    add_source("shop", "shopify", "main-store", shop_url, secret_env=TOKEN_ENV, actor=system())
    bodies = [json.dumps(payload).encode() for payload in payloads]
    redis_url = get_settings().redis_url or REDIS_URL
    queue = Queue(f"cp-bench-pushes-{uuid.uuid4().hex[:8]}", connection=redis_connection(redis_url))
    if queued:
        for body in bodies:
            queue.enqueue(PUSH_JOB, "shop", body)
    start = time.perf_counter()
    if queued:
        drain_queue(queue.name, redis_url)
    else:
        for body in bodies:
            ingest_push("shop", body)
    seconds = time.perf_counter() - start
    queue.delete(delete_jobs=True)
    engine = get_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM sales_order")).scalar()
        loads = conn.execute(text("SELECT count(*) FROM ingest_run")).scalar()
    engine.dispose()
    return seconds, stored, loads


def run(n_orders: int = 50_000) -> Section:
    payloads = shopify_payloads(n_orders)
    with served_shop(payloads) as shop_url:
        by_page = timed_sync(shop_url, PAGE_SIZE)
        joined = timed_sync(shop_url, 5_000)
        one_by_one = timed_pushes(payloads[:PUSHES], shop_url, queued=False)
        burst = timed_pushes(payloads[:PUSHES], shop_url, queued=True)
    for label, (_, stored, _) in (("one by one", one_by_one), ("burst", burst)):
        if stored != PUSHES:
            raise AssertionError(f"the pushes {label} stored {stored} of {PUSHES} orders")
    if by_page[1] != joined[1] or joined[1] != len(payloads):
        raise AssertionError(
            f"of {len(payloads)} orders the syncs stored {by_page[1]} and {joined[1]}"
        )
    orders = joined[1]
    section = Section(
        f"Syncing {orders:,} Shopify orders from its API, and pushes (bench/bench_sync.py)"
    )
    section.lines = [
        f"A local server pages {len(payloads):,} demo orders as Shopify's Admin API does "
        f"({PAGE_SIZE} a page, Link header); the source's whole sync (fetch, map, load with "
        "rejects, runs, cursor, rollups) on a fresh database, twice in one process: each API "
        "page loaded as its own transaction, and consecutive pages joined into loads of up "
        f"to 5,000 orders; and the first {PUSHES} orders as webhook pushes, one by one and "
        "queued in a burst on RQ. Baseline: the page by page sync.",
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
    for label, (seconds, _, loads) in (
        ("webhook pushes, one by one (1 order each)", one_by_one),
        ("webhook pushes queued in a burst, joined", burst),
    ):
        rate = PUSHES / seconds
        section.table.append(
            [label, f"{loads:,}", f"{seconds:.1f}", f"{rate:,.1f}", f"{rate / by_page_rate:.2f}"]
        )
    section.lines.append("")
    section.lines.append(
        f"Pushes queued in a burst load {one_by_one[0] / burst[0]:.1f}× as fast as one by one: "
        "each push job loads the same source's pushes waiting behind it with its own order "
        "(`ingestion/sync/pushes.py`)."
    )
    return section


if __name__ == "__main__":
    import sys

    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000).markdown())
