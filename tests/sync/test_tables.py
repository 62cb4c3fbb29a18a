"""The ingestion tables migrate up and down on SQLite too, and a page loads there with rejects."""

from __future__ import annotations

import sqlalchemy as sa

from db.engine import get_engine
from db.migrate import downgrade
from db.migrate import upgrade
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import load_page
from tests.sync.shop import database_totals
from tests.sync.shop import expected_totals
from tests.sync.shop import make_order


def test_sqlite_migration_and_a_page_with_a_reject(sqlite_url):
    engine = get_engine()
    assert {"source", "sync_state", "reject"} <= set(sa.inspect(engine).get_table_names())
    orders = [make_order(n) for n in range(5)]
    result, rejects = load_page(
        engine,
        Origin("shopify", "main-store", "orders", "shop"),
        [Incoming(None, o) for o in orders] + [Incoming("bad", b"\x80")],
        cursor="2026-09-01T09:00:00Z",
    )
    assert (result.inserted, len(rejects)) == (5, 1)
    with engine.connect() as conn:
        assert database_totals(conn) == expected_totals(orders)
        assert conn.execute(sa.text("SELECT cursor FROM sync_state")).scalar() == (
            "2026-09-01T09:00:00Z"
        )
        assert bytes(conn.execute(sa.text("SELECT payload FROM reject")).scalar()) == b"\x80"
    engine.dispose()
    downgrade(sqlite_url, "ingestion@-2")
    assert "reject" not in sa.inspect(get_engine()).get_table_names()
    upgrade(sqlite_url)
