"""A sync settles once, at its end, the days its pages left stale and the customers whose first
order they moved; a sync killed before its end leaves them recorded, and the next settles them."""

from __future__ import annotations

import json

from sqlalchemy import func
from sqlalchemy import select

from db.engine import get_engine
from db.rollup_tables import UnsettledCustomer
from db.rollup_tables import UnsettledDay
from db.rollups import rebuild_all
from db.schema import SalesOrder
from ingestion.rules import load_rules
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import load_mapped
from ingestion.sync import load_pages
from ingestion.sync import map_page
from tests.sync.shop import database_totals
from tests.sync.shop import expected_totals
from tests.sync.shop import first_orders
from tests.sync.shop import make_order
from tests.sync.shop import newest
from tests.sync.shop import rollup_rows

ORIGIN = Origin("shopify", "main-store", "orders", None)


def _pages(payloads: list, size: int) -> list[list[Incoming]]:
    return [
        [Incoming(None, json.dumps(p).encode()) for p in payloads[start : start + size]]
        for start in range(0, len(payloads), size)
    ]


def _assert_settled(conn, payloads: list[dict]) -> None:
    """New customers flagged on their first orders, and rollups a full rebuild leaves alone."""
    flagged = set(
        conn.execute(select(SalesOrder.source_order_id).where(SalesOrder.is_new_customer)).scalars()
    )
    assert flagged == first_orders(payloads)
    settled = rollup_rows(conn)
    rebuild_all(conn)
    assert rollup_rows(conn) == settled


def test_a_sync_killed_before_it_settles_is_settled_by_the_next(pg_url):
    # Later orders first, then earlier ones of the same customers (their first orders move),
    # then edits of stored orders (their days go stale) and a first order cancelled.
    payloads = [make_order(n) for n in range(100, 200)] + [make_order(n) for n in range(100)]
    payloads += [make_order(n, version=1) for n in range(0, 200, 9)]
    cancelled = make_order(3, version=2)
    cancelled["cancelled_at"] = cancelled["updated_at"]
    payloads.append(cancelled)
    engine = get_engine()
    with engine.connect() as conn:
        rules = load_rules(conn)

    # A sync whose pages all committed, killed before it settled.
    for items in _pages(payloads, 50):
        load_mapped(engine, ORIGIN, map_page(ORIGIN, items, rules), defer=True)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(UnsettledDay)).scalar() > 0
        assert conn.execute(select(func.count()).select_from(UnsettledCustomer)).scalar() > 0

    # The next sync, with nothing new to load, settles what the killed one left.
    again = load_pages(engine, ORIGIN, iter([]), workers=0)
    assert again.runs == 0
    with engine.begin() as conn:
        assert conn.execute(select(func.count()).select_from(UnsettledDay)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(UnsettledCustomer)).scalar() == 0
        stored = conn.execute(select(func.count()).select_from(SalesOrder)).scalar()
        assert stored == len(newest(payloads))
        _assert_settled(conn, payloads)


def test_a_whole_sync_settles_at_its_end(pg_url):
    payloads = [make_order(n) for n in range(60, 120)] + [make_order(n) for n in range(60)]
    payloads += [make_order(n, version=1) for n in range(0, 120, 5)]
    engine = get_engine()
    result = load_pages(engine, ORIGIN, iter((items, None) for items in _pages(payloads, 40)))
    assert (result.inserted, result.updated) == (120, 24)
    with engine.begin() as conn:
        assert conn.execute(select(func.count()).select_from(UnsettledDay)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(UnsettledCustomer)).scalar() == 0
        assert database_totals(conn) == expected_totals(payloads)
        _assert_settled(conn, payloads)
