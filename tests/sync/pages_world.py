"""The world of the ingestion admin pages (Channel rules, Quarantine, Sources): an admin and a
planner, a shop whose page left two rejects, and a till whose last sync failed.

A pytest plugin (tests/conftest.py loads it) so that the pages' browser test shares it.
"""

from __future__ import annotations

import json

import pytest

from db.engine import get_engine
from db.roles import system
from db.users import add_user
from ingestion.sources import add_source
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import load_page
from ingestion.sync import record_failure
from tests.sync.shop import add_shop_source
from tests.sync.shop import make_order

PASSWORD = "correct-horse"


@pytest.fixture
def ingest_db(pg_url, monkeypatch):
    monkeypatch.setenv("CP_PAGES_SHOP_TOKEN", "x")
    add_user("ada", PASSWORD, "admin", system())
    add_user("pat", PASSWORD, "planner", system())
    add_shop_source()
    add_source(
        "pos",
        "square",
        "retail",
        "https://connect.squareup.com/",
        poll_interval_seconds=60,
        actor=system(),
    )
    engine = get_engine()
    broken = make_order(3)
    broken["currency"] = "ZZZ"
    truncated = json.dumps(make_order(4)).encode()[:300]
    load_page(
        engine,
        Origin("shopify", "main-store", "orders", "shop"),
        [Incoming(None, make_order(n)) for n in range(3)]
        + [Incoming("3", broken), Incoming("4", truncated)],
    )
    record_failure(
        engine,
        Origin("square", "retail", "orders", "pos"),
        "SourceError: POST https://connect.squareup.com/v2/orders/search failed: HTTP 401",
    )
    return pg_url
