"""Two writers loading the same order at once (a push and a sync, say): the second waits on the
order's key row until the first commits, then merges against what it wrote, so the newer
version is stored once, whichever writer had it and whichever month it falls in. Two writers
bringing the first orders of one new customer at once leave only the earlier one flagged."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from sqlalchemy import text

from db.engine import get_engine
from db.partitions import ensure_months
from db.rollups import rebuild_all
from ingestion.enrich import enrich_orders
from ingestion.loader import LoadResult
from ingestion.loader import load_orders
from ingestion.reference import Lookups
from ingestion.rules import load_rules
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import map_page
from ingestion.unsettled import settle
from tests.sync.shop import make_order
from tests.sync.shop import rollup_rows

pytestmark = pytest.mark.postgres

ORIGIN = Origin("shopify", "main-store", "orders", None)


def _load(conn, payload: dict, defer: bool = False) -> LoadResult:
    page = map_page(ORIGIN, [Incoming(None, json.dumps(payload).encode())], load_rules(conn))
    lookups = Lookups.load(conn)
    batch, refused = enrich_orders(conn, page.batch, lookups)
    assert len(refused) == 0
    return load_orders(conn, batch, lookups=lookups, defer=defer)


def _in_month(payload: dict, created: str) -> dict:
    return {**payload, "created_at": created}


def _second_writer_behind_the_first(
    first: dict, second: dict, commit: bool = True, defer: bool = False
):
    """Load ``first`` in an open transaction, start a writer of ``second`` (as a sync's page
    with ``defer``) and check it waits, then commit (or roll back) the first; returns the
    second writer's result."""
    engine = get_engine()
    outcome: dict = {}

    def other_writer() -> None:
        with engine.begin() as conn:
            outcome["result"] = _load(conn, second, defer)

    with engine.connect() as conn:
        transaction = conn.begin()
        assert _load(conn, first).inserted == 1
        writer = threading.Thread(target=other_writer)
        writer.start()
        time.sleep(1.5)
        assert writer.is_alive(), "the second writer did not wait for the first"
        if commit:
            transaction.commit()
        else:
            transaction.rollback()
        writer.join(timeout=60)
    return outcome["result"]


@pytest.mark.parametrize("first_newer", [True, False], ids=["newer-first", "older-first"])
def test_the_second_writer_waits_and_merges_against_the_first(pg_url, first_newer):
    older = _in_month(make_order(7), "2026-09-15T10:00:00Z")
    newer = _in_month(make_order(7, version=1), "2026-10-15T10:00:00Z")
    first, second = (newer, older) if first_newer else (older, newer)
    engine = get_engine()
    # Both months exist: the second writer waits on the order's key row, not on a partition.
    with engine.begin() as conn:
        ensure_months(conn, [dt.date(2026, 9, 1), dt.date(2026, 10, 1)])
    result = _second_writer_behind_the_first(first, second)
    if first_newer:
        assert (result.inserted, result.updated, result.unchanged) == (0, 0, 1)
    else:
        assert (result.inserted, result.updated, result.unchanged) == (0, 1, 0)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT id, order_day, source_version FROM sales_order")).all()
        lines = conn.execute(text("SELECT count(*) FROM order_line")).scalar()
        key = conn.execute(text("SELECT order_id, order_day FROM order_key")).all()
    assert len(stored) == 1
    assert stored[0].order_day.month == 10
    assert lines == len(newer["line_items"])
    assert key == [(stored[0].id, stored[0].order_day)]


def test_a_writer_of_the_same_version_waits_and_finds_it_unchanged(pg_url):
    payload = make_order(8)
    engine = get_engine()
    with engine.begin() as conn:
        ensure_months(conn, [dt.date(2026, 9, 1)])  # so the second waits on the key row
    result = _second_writer_behind_the_first(payload, payload)
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 1)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT id FROM sales_order")).scalars().all()
        key = conn.execute(text("SELECT order_id FROM order_key")).scalars().all()
    assert len(stored) == 1 and key == stored


def test_a_writer_waiting_on_a_load_that_rolls_back_inserts_the_order(pg_url):
    payload = make_order(9)
    engine = get_engine()
    with engine.begin() as conn:
        ensure_months(conn, [dt.date(2026, 9, 1)])  # so the second waits on the key row
    result = _second_writer_behind_the_first(payload, payload, commit=False)
    assert (result.inserted, result.updated, result.unchanged) == (1, 0, 0)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT id, source_version FROM sales_order")).all()
        key = conn.execute(text("SELECT order_id FROM order_key")).scalars().all()
        lines = conn.execute(text("SELECT count(*) FROM order_line")).scalar()
    assert len(stored) == 1 and key == [stored[0].id]
    assert lines == len(payload["line_items"])


@pytest.mark.parametrize("defer", [False, True], ids=["push", "sync-page"])
@pytest.mark.parametrize("earlier_first", [True, False], ids=["earlier-first", "later-first"])
def test_two_writers_bringing_one_new_customer_flag_only_the_earlier_order(
    pg_url, earlier_first, defer
):
    # Orders 3 and 40 are one customer's (900 + n % 37), neither stored yet: each writer,
    # not seeing the other's order, writes its own as the customer's first.
    earlier, later = make_order(3), make_order(40)
    assert earlier["customer"] == later["customer"]
    first, second = (earlier, later) if earlier_first else (later, earlier)
    engine = get_engine()
    with engine.begin() as conn:
        ensure_months(conn, [dt.date(2026, 9, 1)])
    assert _second_writer_behind_the_first(first, second, defer=defer).inserted == 1
    if defer:
        settle(engine)
    with engine.connect() as conn:
        flagged = conn.execute(
            text("SELECT source_order_id FROM sales_order WHERE is_new_customer")
        ).scalars()
        assert list(flagged) == [str(earlier["id"])]
        first_order_at = conn.execute(text("SELECT first_order_at FROM customer")).scalars()
        assert list(first_order_at) == [dt.datetime.fromisoformat(earlier["created_at"])]
        new_customers = conn.execute(text("SELECT sum(new_customers) FROM daily_rollup")).scalar()
        assert new_customers == 1
        loaded = rollup_rows(conn)
    with engine.begin() as conn:
        rebuild_all(conn)
        assert rollup_rows(conn) == loaded
