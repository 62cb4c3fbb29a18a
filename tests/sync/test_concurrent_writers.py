"""Two writers loading the same order at once (a push and a sync, say): the second waits on the
order's key row until the first commits, then merges against what it wrote, so the newer
version is stored once, whichever writer had it and whichever month it falls in."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pytest
from sqlalchemy import text

from db.engine import get_engine
from db.partitions import ensure_months
from ingestion.enrich import enrich_orders
from ingestion.loader import LoadResult
from ingestion.loader import load_orders
from ingestion.reference import Lookups
from ingestion.rules import load_rules
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import map_page
from tests.sync.shop import make_order

pytestmark = pytest.mark.postgres

ORIGIN = Origin("shopify", "main-store", "orders", None)


def _load(conn, payload: dict) -> LoadResult:
    page = map_page(ORIGIN, [Incoming(None, json.dumps(payload).encode())], load_rules(conn))
    lookups = Lookups.load(conn)
    batch, refused = enrich_orders(conn, page.batch, lookups)
    assert len(refused) == 0
    return load_orders(conn, batch, lookups=lookups)


def _in_month(payload: dict, created: str) -> dict:
    return {**payload, "created_at": created}


def _second_writer_behind_the_first(first: dict, second: dict, commit: bool = True):
    """Load ``first`` in an open transaction, start a writer of ``second`` and check it waits,
    then commit (or roll back) the first; returns the second writer's result."""
    engine = get_engine()
    outcome: dict = {}

    def other_writer() -> None:
        with engine.begin() as conn:
            outcome["result"] = _load(conn, second)

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
