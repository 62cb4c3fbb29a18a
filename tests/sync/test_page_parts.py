"""Pages of heavy payloads load in parts (``ingestion.sync.mapping.page_parts``): every order
once, whichever part each of its versions falls in; the stream's cursor moves with a page's last
part only, so a page that fails part-way is fetched again and its loaded parts count unchanged."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func
from sqlalchemy import select

import ingestion.sync
import ingestion.sync.writing
from db.engine import get_engine
from db.schema import SalesOrder
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import load_cursor
from ingestion.sync import load_pages
from ingestion.sync.mapping import page_parts
from tests.sync.shop import database_totals
from tests.sync.shop import expected_totals
from tests.sync.shop import make_order

ORIGIN = Origin("shopify", "main-store", "orders", "shop")


def _items(payloads: list[dict]) -> list[Incoming]:
    return [Incoming(None, json.dumps(p).encode()) for p in payloads]


def _stored_orders() -> int:
    with get_engine().connect() as conn:
        return conn.execute(select(func.count()).select_from(SalesOrder)).scalar()


def _cut(sizes: list[int]) -> list[list[int]]:
    items = [Incoming(str(n), b"x" * size) for n, size in enumerate(sizes)]
    parts = list(page_parts(items, "next"))
    assert [cursor for _, cursor in parts] == [None] * (len(parts) - 1) + ["next"]
    assert [item for part, _ in parts for item in part] == items
    return [[len(item.payload) for item in part] for part, _ in parts]


def test_a_page_is_cut_into_the_fewest_even_parts_within_the_byte_limit(monkeypatch):
    monkeypatch.setattr(ingestion.sync, "MAX_PAGE_BYTES", 20)
    assert _cut([5, 5, 5]) == [[5, 5, 5]]
    assert _cut([3] * 10) == [[3] * 5, [3] * 5]  # not 6 + 4
    assert _cut([5] * 10) == [[5] * 3, [5] * 3, [5] * 4]
    # A payload larger than the limit is a part of its own.
    assert _cut([5, 50, 5]) == [[5], [50], [5]]
    assert list(page_parts([], "next")) == [([], "next")]
    decoded = [Incoming(None, {"id": 1}), Incoming(None, {"id": 2})]
    assert list(page_parts(decoded, None)) == [(decoded, None)]


def test_a_page_loaded_in_parts_stores_every_order_once(pg_url, monkeypatch):
    # One page holds two versions of each of 30 orders, the newer ones later in it.
    payloads = [make_order(n, version=v) for v in range(2) for n in range(30)]
    items = _items(payloads)
    monkeypatch.setattr(ingestion.sync, "MAX_PAGE_BYTES", 5 * max(len(i.payload) for i in items))
    result = load_pages(get_engine(), ORIGIN, iter([(items, "after-page")]), workers=0)
    assert result.runs >= 4
    assert (result.read, result.inserted, result.updated, result.unchanged) == (60, 30, 30, 0)
    assert _stored_orders() == 30
    with get_engine().connect() as conn:
        assert database_totals(conn) == expected_totals(payloads)
        assert load_cursor(conn, "shop", "orders") == "after-page"


def test_a_page_failing_part_way_keeps_its_cursor_and_loads_once_when_fetched_again(
    pg_url, monkeypatch
):
    first = _items([make_order(n) for n in range(20)])
    second = _items([make_order(n) for n in range(20, 40)])
    pages = [(first, "after-first"), (second, "after-second")]
    monkeypatch.setattr(ingestion.sync, "MAX_PAGE_BYTES", 6 * max(len(i.payload) for i in first))
    first_parts = len(list(page_parts(first, None)))
    second_parts = list(page_parts(second, None))
    assert first_parts > 1 and len(second_parts) > 2
    real = ingestion.sync.writing.load_mapped
    cursors: list[str | None] = []

    def failing_on_the_second_page_second_part(engine, origin, page, **options):
        cursors.append(page.cursor)
        if len(cursors) == first_parts + 2:
            raise RuntimeError("the writer died")
        return real(engine, origin, page, **options)

    monkeypatch.setattr(
        ingestion.sync.writing, "load_mapped", failing_on_the_second_page_second_part
    )
    with pytest.raises(RuntimeError):
        load_pages(get_engine(), ORIGIN, iter(pages), workers=0)
    # The first page is in, with its cursor (its last part's), and the second's first part.
    assert cursors == [None] * (first_parts - 1) + ["after-first", None, None]
    loaded = _stored_orders()
    assert loaded == 20 + len(second_parts[0][0])
    with get_engine().connect() as conn:
        assert load_cursor(conn, "shop", "orders") == "after-first"

    monkeypatch.setattr(ingestion.sync.writing, "load_mapped", real)
    again = load_pages(get_engine(), ORIGIN, iter(pages[1:]), workers=0)
    assert (again.read, again.inserted, again.unchanged) == (20, 40 - loaded, loaded - 20)
    assert _stored_orders() == 40
    with get_engine().connect() as conn:
        assert database_totals(conn) == expected_totals([make_order(n) for n in range(40)])
        assert load_cursor(conn, "shop", "orders") == "after-second"
