"""Exactly-once effect: the same payloads twice, out of order, or an older version after a newer
one leave the same totals as one clean in-order load; each load of joined pages commits its
cursor and run."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import text

from db.engine import get_engine
from db.settings import get_settings
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import load_page
from ingestion.sync import sync_source
from tests.sync.conftest import SOURCE
from tests.sync.shop import database_totals
from tests.sync.shop import expected_totals
from tests.sync.shop import make_order

ORIGIN = Origin("shopify", "main-store", "webhook", SOURCE)


def _runs(conn) -> list:
    return conn.execute(
        text(
            "SELECT read, inserted, updated, unchanged, rejected, status FROM ingest_run "
            "WHERE stream = 'orders' ORDER BY id"
        )
    ).all()


def test_paged_sync_commits_cursor_and_run_per_joined_pages_and_a_rerun_changes_nothing(
    shop_source, monkeypatch
):
    monkeypatch.setenv("CHANNELPERF_SYNC_JOIN_RECORDS", "100")
    get_settings.cache_clear()
    orders = [make_order(n) for n in range(230)]
    shop = shop_source(orders, page_size=50)
    first = sync_source(SOURCE)
    assert shop.requests == 5
    engine = get_engine()
    with engine.connect() as conn:
        assert database_totals(conn) == expected_totals(orders)
        runs = _runs(conn)
        cursor = conn.execute(text("SELECT cursor FROM sync_state WHERE source = 'shop'")).scalar()
    assert first.runs == len(runs) == 3  # 230 orders, 50 a page, joined to 100 a load
    assert [r.read for r in runs] == [100, 100, 30]
    for r in runs:
        assert r.read == r.inserted + r.updated + r.unchanged + r.rejected
        assert r.status == "succeeded"
    assert cursor == max(o["updated_at"] for o in orders)

    # The next run re-reads only the 60-minute look-back window before the cursor: unchanged.
    again = sync_source(SOURCE)
    newest = dt.datetime.fromisoformat(cursor.replace("Z", "+00:00"))
    window_start = (newest - dt.timedelta(minutes=60)).isoformat().replace("+00:00", "Z")
    window = [o for o in orders if o["updated_at"] >= window_start]
    assert 0 < len(window) < 50
    assert again.inserted == again.updated == 0
    assert again.unchanged == again.read == len(window)
    with engine.connect() as conn:
        assert database_totals(conn) == expected_totals(orders)


def test_twice_out_of_order_and_stale_updates_equal_one_ordered_load(pg_url):
    originals = [make_order(n) for n in range(60)]
    edits = [make_order(n, version=1) for n in range(0, 60, 3)]
    second_edits = [make_order(n, version=2) for n in range(0, 60, 6)]
    everything = originals + edits + second_edits
    expected = expected_totals(everything)
    engine = get_engine()

    shuffled = everything * 2
    random.Random(5).shuffle(shuffled)
    for start in range(0, len(shuffled), 17):
        page = [Incoming(None, p) for p in shuffled[start : start + 17]]
        result, rejects = load_page(engine, ORIGIN, page)
        assert not rejects
        assert result.read == result.inserted + result.updated + result.unchanged

    # An older version arriving after the newest changes nothing.
    stale, rejects = load_page(engine, ORIGIN, [Incoming(None, p) for p in originals[:12]])
    assert (stale.inserted, stale.updated, stale.unchanged) == (0, 0, 12)
    with engine.connect() as conn:
        assert database_totals(conn) == expected
        # An edit adds a line: the stored lines are exactly the newest version's.
        lines = conn.execute(
            text(
                "SELECT count(*) FROM order_line l JOIN sales_order o ON o.id = l.order_id "
                "WHERE o.source_order_id = :id"
            ),
            {"id": str(second_edits[0]["id"])},
        ).scalar()
    assert lines == len(second_edits[0]["line_items"])


def test_an_update_that_removes_a_line_removes_it(pg_url):
    engine = get_engine()
    newer = make_order(1, version=2)
    older = make_order(1, version=1)
    load_page(engine, ORIGIN, [Incoming(None, older)])
    load_page(engine, ORIGIN, [Incoming(None, newer)])
    fewer = dict(newer, updated_at="2026-09-05T00:00:00Z", line_items=newer["line_items"][:1])
    first = fewer["line_items"][0]
    amount = float(first["price"]) * first["quantity"] - float(first["total_discount"])
    fewer["total_discounts"] = first["total_discount"]
    fewer["total_tax"] = "0.00"
    fewer["total_shipping_price_set"] = {"shop_money": {"amount": "0.00"}}
    fewer["total_price"] = f"{amount:.2f}"
    result, rejects = load_page(engine, ORIGIN, [Incoming(None, fewer)])
    assert not rejects and result.updated == 1
    with engine.connect() as conn:
        assert database_totals(conn) == expected_totals([older, newer, fewer])


def test_a_backfill_loads_its_api_pages_joined_by_default(shop_source):
    orders = [make_order(n) for n in range(230)]
    shop = shop_source(orders, page_size=50)
    result = sync_source(SOURCE)
    assert shop.requests == 5
    assert (result.runs, result.inserted) == (1, 230)
    with get_engine().connect() as conn:
        assert database_totals(conn) == expected_totals(orders)
