"""Streams of pages (``load_pages``): mapped in spawned worker processes they load as mapped in
the writer's thread, versions of one order merged in the order read; a page of raw bytes that
loaded whole before is counted unchanged without being parsed, one with a reject is not."""

from __future__ import annotations

import json
import multiprocessing

from sqlalchemy import func
from sqlalchemy import select

import ingestion.sync.mapping
from db.engine import get_engine
from db.ingestion_tables import LoadedPage
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import load_pages
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
