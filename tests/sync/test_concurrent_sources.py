"""Sources loading at once, as ingest workers run them (one queue per source): two syncs and a
stream of pushes. Their pages write the same days' and products' rollup rows; each sync settles
at its end while the others are still loading, and each push recomputes the days its edits made
stale. None waits on another for good (a deadlock aborts a page), and what they leave is what
loading them one after the other would: every order, new customers flagged on their first
orders, rollups a full rebuild leaves alone."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select

from db.engine import get_engine
from db.rollups import rebuild_all
from db.schema import SalesOrder
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import load_page
from ingestion.sync import load_pages
from tests.sync.shop import expected_totals
from tests.sync.shop import first_orders
from tests.sync.shop import make_order
from tests.sync.shop import rollup_rows

pytestmark = pytest.mark.postgres

SYNCED = ("store-a", "store-b")
PUSHED = "store-c"
STORES = (*SYNCED, PUSHED)


def _payloads(seed: int) -> list[dict]:
    """Orders over the same days in both stores (same numbers, so the same minutes), then
    edits of some (their days go stale and are settled at the sync's end)."""
    payloads = [make_order(n, seed=seed) for n in range(300)]
    return payloads + [make_order(n, version=1, seed=seed) for n in range(0, 300, 7)]


def _pages(payloads: list[dict], size: int):
    for start in range(0, len(payloads), size):
        chunk = payloads[start : start + size]
        yield [Incoming(None, json.dumps(p).encode()) for p in chunk], None


def _sync_together(engine, syncs: dict[str, list[dict]]) -> dict[str, Exception]:
    """Each store's payloads in its own thread, started together: a sync (``load_pages``) for
    each of ``SYNCED``, a push a page (``load_page``) for ``PUSHED``."""
    failures: dict[str, Exception] = {}
    start = threading.Barrier(len(syncs))

    def run(store: str, payloads: list[dict]) -> None:
        start.wait()
        try:
            origin = Origin("shopify", store, "orders", None)
            if store == PUSHED:
                for items, _ in _pages(payloads, 10):
                    load_page(engine, origin, items)
            else:
                load_pages(engine, origin, _pages(payloads, 10), workers=0)
        except Exception as error:  # noqa: BLE001 - reported by the test below
            failures[store] = error

    threads = [threading.Thread(target=run, args=item) for item in syncs.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a sync never finished"
    return failures


def test_two_sources_syncing_at_once_leave_what_one_after_the_other_would(pg_url):
    engine = get_engine()
    syncs = {store: _payloads(seed) for seed, store in enumerate(STORES)}
    assert _sync_together(engine, syncs) == {}

    with engine.connect() as conn:
        for store, payloads in syncs.items():
            stored = conn.execute(
                select(SalesOrder.source_order_id, SalesOrder.is_new_customer).where(
                    SalesOrder.source_instance == store
                )
            ).all()
            assert len(stored) == expected_totals(payloads)["orders"]
            assert {order for order, new in stored if new} == first_orders(payloads)
        loaded = rollup_rows(conn)
    with engine.begin() as conn:
        rebuild_all(conn)
        assert rollup_rows(conn) == loaded
