"""Streams of pages (``load_pages``): mapped in spawned worker processes they load as mapped in
the writer's thread, versions of one order merged in the order read; a page of raw bytes that
loaded whole before is counted unchanged without being parsed, one with a reject is not; the
after-batch hooks run for the pages together, not once a page; a reference row deleted after a
page was enriched is caught before its orders are written."""

from __future__ import annotations

import json
import multiprocessing

from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import insert
from sqlalchemy import select

import db.events
import ingestion.sync.mapping
import ingestion.sync.writing
from db.engine import get_engine
from db.ingestion_tables import LoadedPage
from db.ingestion_tables import Reject
from db.schema import OrderLine
from db.schema import Product
from db.schema import SalesOrder
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import load_pages
from tests.db import test_events
from tests.sync.shop import database_totals
from tests.sync.shop import expected_totals
from tests.sync.shop import make_order

ORIGIN = Origin("shopify", "main-store", "orders", None)


def _pages(payloads: list, size: int) -> list:
    return [
        ([Incoming(None, json.dumps(p).encode()) for p in payloads[start : start + size]], None)
        for start in range(0, len(payloads), size)
    ]


def test_two_worker_processes_load_every_page_in_order(pg_url):
    # Each order's versions arrive on later and later pages: the newest must win.
    payloads = [make_order(n, version=v) for v in range(3) for n in range(120)]
    payloads += [make_order(n, version=1) for n in range(0, 120, 7)]  # stale, after newer ones
    pages = _pages(payloads, 40)
    pages[-1][0].append(Incoming("bad", b"not json"))
    result = load_pages(get_engine(), ORIGIN, iter(pages), workers=2)
    assert result.runs == len(pages)
    assert (result.inserted, result.updated, result.rejected) == (120, 240, 1)
    assert result.read == len(payloads) + 1
    with get_engine().connect() as conn:
        assert database_totals(conn) == expected_totals(payloads)
    again = load_pages(get_engine(), ORIGIN, iter(_pages(payloads, 55)), workers=2)
    assert again.unchanged == again.read == len(payloads)


def test_a_page_loaded_whole_is_skipped_unparsed_when_sent_again(pg_url, monkeypatch):
    payloads = [make_order(n) for n in range(30)]
    pages = _pages(payloads, 10)
    pages[-1][0].append(Incoming("bad", b"{broken"))
    first = load_pages(get_engine(), ORIGIN, iter(pages), workers=0)
    assert (first.inserted, first.rejected) == (30, 1)
    with get_engine().connect() as conn:
        remembered = conn.execute(select(func.count()).select_from(LoadedPage)).scalar()
    assert remembered == 2  # the page with the reject is not remembered

    decoded = []
    real = ingestion.sync.mapping.decode_payload
    monkeypatch.setattr(
        ingestion.sync.mapping, "decode_payload", lambda raw: decoded.append(raw) or real(raw)
    )
    again = load_pages(get_engine(), ORIGIN, iter(pages), workers=0)
    # The two clean pages count unchanged unparsed; the third is mapped again (its payloads
    # found unchanged one by one) and its reject quarantined again.
    assert set(decoded) == {item.payload for item in pages[-1][0]}
    assert (again.read, again.inserted, again.updated) == (31, 0, 0)
    assert (again.unchanged, again.rejected) == (30, 1)
    with get_engine().connect() as conn:
        assert database_totals(conn) == expected_totals(payloads)


def test_a_replay_of_pages_loaded_whole_starts_no_mapping_process(pg_url):
    payloads = [make_order(n) for n in range(60)]
    children = []

    def load():
        return load_pages(
            get_engine(),
            ORIGIN,
            iter(_pages(payloads, 20)),
            workers=2,
            on_page=lambda _: children.extend(multiprocessing.active_children()),
        )

    assert load().inserted == 60
    children.clear()
    again = load()
    assert (again.read, again.unchanged, again.runs) == (60, 60, 3)
    assert children == []
    # One changed page among them is mapped here, in its place, still without a process;
    # two start them.
    payloads[25] = make_order(25, version=1)
    changed = load()
    assert (changed.updated, changed.unchanged, children) == (1, 59, [])
    payloads[5], payloads[45] = make_order(5, version=1), make_order(45, version=1)
    both = load()
    assert (both.updated, both.unchanged) == (2, 58)
    assert children
    with get_engine().connect() as conn:
        assert database_totals(conn) == expected_totals(payloads)


def test_the_hooks_run_for_the_pages_together_and_miss_no_day(pg_url, monkeypatch):
    monkeypatch.delenv("CHANNELPERF_REDIS_URL", raising=False)
    monkeypatch.setattr(db.events, "BATCH_HOOKS", [test_events.HOOK])
    test_events.CALLS.clear()
    payloads = [make_order(n) for n in range(600)]  # every 7 minutes: about three days
    result = load_pages(get_engine(), ORIGIN, iter(_pages(payloads, 100)), workers=0)
    assert (result.runs, result.inserted) == (6, 600)
    # The first page's days at once, the other five pages' together at the end.
    assert len(test_events.CALLS) == 2
    with get_engine().connect() as conn:
        stored = conn.execute(select(SalesOrder.order_day).distinct()).scalars()
        assert {day for call in test_events.CALLS for day in call} == {
            day.isoformat() for day in stored
        }
    test_events.CALLS.clear()


def test_a_product_deleted_after_its_page_was_enriched_quarantines_that_pages_orders(
    pg_url, monkeypatch
):
    """A product deleted between the enrichment (reference ids read) and the write is caught
    by the page's reference check, as the foreign key would, not written as a dangling id."""
    with get_engine().begin() as conn:
        product_id = conn.execute(
            insert(Product)
            .values(sku="LIMITED", name="Limited", category="", list_price=9, unit_cost=4)
            .returning(Product.id)
        ).scalar_one()
    payloads = [make_order(n) for n in range(40)]
    for payload in payloads[25:40:5]:  # three orders of the second page sell it
        payload["line_items"][0]["sku"] = "LIMITED"
    enrich = ingestion.sync.writing.enrich_orders
    enriched = []

    def enrich_then_delete_on_the_second_page(conn, batch, lookups=None):
        done = enrich(conn, batch, lookups)
        enriched.append(len(batch))
        if len(enriched) == 2:
            with get_engine().begin() as other:
                other.execute(delete(Product).where(Product.id == product_id))
        return done

    monkeypatch.setattr(
        ingestion.sync.writing, "enrich_orders", enrich_then_delete_on_the_second_page
    )
    result = load_pages(get_engine(), ORIGIN, iter(_pages(payloads, 20)), workers=0)
    assert enriched == [20, 20]
    assert (result.inserted, result.rejected) == (37, 3)
    with get_engine().connect() as conn:
        reasons = conn.execute(select(Reject.record_id, Reject.error)).all()
        dangling = conn.execute(
            select(func.count()).select_from(OrderLine).where(OrderLine.product_id == product_id)
        ).scalar()
    assert sorted(record for record, _ in reasons) == sorted(
        str(payload["id"]) for payload in payloads[25:40:5]
    )
    assert {error for _, error in reasons} == {
        f"product_id {product_id} is not present in table product (foreign key)"
    }
    assert dangling == 0
