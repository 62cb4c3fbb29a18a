"""The ingest worker: polls due sources on their interval; one failing source does not stop the
others and is recorded as a failed run with its reason."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from db.engine import get_engine
from db.roles import system
from ingestion.sources import add_source
from ingestion.sources import set_source_enabled
from ingestion.worker import Poller
from ingestion.worker import run_worker
from tests.sync.conftest import SOURCE
from tests.sync.shop import database_totals
from tests.sync.shop import expected_totals
from tests.sync.shop import make_order

pytestmark = pytest.mark.postgres


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_poller_syncs_due_sources_and_records_failures(shop_source):
    orders = [make_order(n) for n in range(120)]
    shop = shop_source(orders, page_size=50)
    add_source(
        "broken",
        "square",
        "retail",
        "http://127.0.0.1:9/",
        secret_env="CP_UNSET_TOKEN",
        actor=system(),
    )
    add_source(
        "off",
        "shopify",
        "other",
        "http://127.0.0.1:9/",
        secret_env="X",
        enabled=False,
        actor=system(),
    )
    clock = Clock()
    poller = Poller(clock)

    outcome = poller.run_due()
    assert set(outcome) == {SOURCE, "broken"}
    assert outcome[SOURCE].inserted == 120
    assert "CP_UNSET_TOKEN" in str(outcome["broken"])
    requests = shop.requests

    clock.now += 4  # the shop polls every 5 s: not due yet
    assert poller.due() == []
    clock.now += 1
    assert set(poller.due()) == {SOURCE}  # "broken" keeps the default 300 s
    set_source_enabled(SOURCE, False, system())
    assert poller.due() == []

    with get_engine().connect() as conn:
        assert database_totals(conn) == expected_totals(orders)
        failed = conn.execute(
            text("SELECT source_system, error FROM ingest_run WHERE status = 'failed'")
        ).all()
    assert shop.requests == requests
    assert [f.source_system for f in failed] == ["square"]
    assert "CP_UNSET_TOKEN" in failed[0].error


def test_run_worker_cycles_poll_then_stop(shop_source):
    orders = [make_order(n) for n in range(30)]
    shop_source(orders)
    run_worker(max_cycles=2, tick=0, sleep=lambda _s: None)
    with get_engine().connect() as conn:
        assert database_totals(conn) == expected_totals(orders)


def test_a_worker_sharded_by_source_polls_only_its_sources(shop_source):
    shop_source([make_order(n) for n in range(10)])
    add_source(
        "other-shop",
        "shopify",
        "other",
        "http://127.0.0.1:9/",
        secret_env="CP_UNSET",
        actor=system(),
    )
    clock = Clock()
    assert set(Poller(clock).due()) == {SOURCE, "other-shop"}
    assert Poller(clock, sources=["other-shop"]).due() == ["other-shop"]
    outcome = Poller(clock, sources=[SOURCE]).run_due()
    assert set(outcome) == {SOURCE} and outcome[SOURCE].inserted == 10
