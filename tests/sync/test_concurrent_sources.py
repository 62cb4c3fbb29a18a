"""Sources loading at once, as ingest workers run them (one queue per source): two syncs and a
stream of pushes. Their pages write the same days' and products' rollup rows; each sync settles
at its end while the others are still loading, and each push recomputes the days its edits made
stale; and a sync and pushes of one source, editing the same orders. None waits on another for
good (a deadlock aborts a page), and what they leave is what loading them one after the other
would: every order, new customers flagged on their first orders, rollups a full rebuild leaves
alone. A sync whose page does lose a deadlock (PostgreSQL aborts one of the two) is retried."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from db.engine import get_engine
from db.rollups import rebuild_all
from db.schema import SalesOrder
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import SyncResult
from ingestion.sync import load_page
from ingestion.sync import load_pages
from ingestion.sync import retrying
from tests.sync.shop import database_totals
from tests.sync.shop import expected_totals
from tests.sync.shop import first_orders
from tests.sync.shop import make_order
from tests.sync.shop import rollup_rows

pytestmark = pytest.mark.postgres

SYNC, PUSH = "sync", "push"
SYNC_ORDERS = 60


def _payloads(seed: int) -> list[dict]:
    """Orders over the same days in every store (same numbers, so the same minutes), then
    edits of some (their days go stale and are settled at the sync's end)."""
    payloads = [make_order(n, seed=seed) for n in range(300)]
    return payloads + [make_order(n, version=1, seed=seed) for n in range(0, 300, 7)]


def _pages(payloads: list[dict], size: int):
    for start in range(0, len(payloads), size):
        chunk = payloads[start : start + size]
        yield [Incoming(None, json.dumps(p).encode()) for p in chunk], None


def _load_together(engine, loads: list[tuple[str, str, list[dict]]]) -> list[Exception]:
    """Each ``(store, how, payloads)`` in its own thread, started together: syncs
    (``load_pages``) of ``SYNC_ORDERS`` payloads each, or a push a page (``load_page``)."""
    failures: list[Exception] = []
    together = threading.Barrier(len(loads))

    def run(store: str, how: str, payloads: list[dict]) -> None:
        together.wait()
        origin = Origin("shopify", store, "orders", None)
        try:
            if how == PUSH:
                for items, _ in _pages(payloads, 10):
                    load_page(engine, origin, items)
            else:  # several short syncs: each settles at its end while the others load
                for start in range(0, len(payloads), SYNC_ORDERS):
                    part = payloads[start : start + SYNC_ORDERS]
                    load_pages(engine, origin, _pages(part, 10), workers=0)
        except Exception as error:  # noqa: BLE001 - reported by the test
            failures.append(error)

    threads = [threading.Thread(target=run, args=load) for load in loads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a load never finished"
    return failures


def _assert_as_if_one_after_the_other(engine, stores: dict[str, list[dict]]) -> None:
    with engine.connect() as conn:
        for store, payloads in stores.items():
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


def test_sources_loading_at_once_leave_what_one_after_the_other_would(pg_url):
    engine = get_engine()
    loads = [("store-a", SYNC, _payloads(0)), ("store-b", SYNC, _payloads(1))]
    loads.append(("store-c", PUSH, _payloads(2)))
    assert _load_together(engine, loads) == []
    _assert_as_if_one_after_the_other(engine, {store: payloads for store, _, payloads in loads})


def test_a_sync_and_pushes_of_one_source_at_once_keep_the_newest_versions(pg_url):
    engine = get_engine()
    synced = _payloads(0)
    pushed = [make_order(n, version=2) for n in range(0, 300, 3)]
    pushed += [make_order(n, version=1) for n in range(1, 300, 5)]
    assert _load_together(engine, [("store-a", SYNC, synced), ("store-a", PUSH, pushed)]) == []
    _assert_as_if_one_after_the_other(engine, {"store-a": synced + pushed})
    with engine.connect() as conn:
        assert database_totals(conn) == expected_totals(synced + pushed)


def _real_deadlock(engine) -> OperationalError:
    """The error PostgreSQL raises in one of two transactions that each hold a row the other
    asks for."""
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE lock_pair (id integer PRIMARY KEY)"))
        conn.execute(text("INSERT INTO lock_pair VALUES (1), (2)"))
    both_hold_one = threading.Barrier(2)
    errors: list[OperationalError] = []

    def lock(first: int, second: int) -> None:
        lock_row = text("SELECT id FROM lock_pair WHERE id = :id FOR UPDATE")
        try:
            with engine.begin() as conn:
                conn.execute(lock_row, {"id": first})
                both_hold_one.wait()
                conn.execute(lock_row, {"id": second})
        except OperationalError as error:
            errors.append(error)

    threads = [threading.Thread(target=lock, args=pair) for pair in ((1, 2), (2, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(errors) == 1, "PostgreSQL lets one of the two go on"
    return errors[0]


def test_a_sync_that_loses_a_deadlock_is_retried(pg_url):
    deadlock = _real_deadlock(get_engine())
    assert "deadlock detected" in str(deadlock)
    attempts = []

    def sync() -> SyncResult:
        attempts.append(len(attempts) + 1)
        if len(attempts) == 1:
            raise deadlock
        return SyncResult()

    retrying(sync, sleep=lambda _seconds: None)
    assert attempts == [1, 2]
