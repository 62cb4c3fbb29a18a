"""The check for unchanged payloads looks up each id of a page in the key directory: its cost
follows the page, not the orders stored (a filter over the directory read every stored key of
the source, for every page, once the planner had no statistics to go by)."""

from __future__ import annotations

from sqlalchemy import text

from db.engine import get_engine
from ingestion.unchanged import stored_hashes

STORED = 20_000


def _keys_read(conn) -> int:
    return conn.execute(
        text(
            "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) "
            "FROM pg_stat_xact_user_tables WHERE relname = 'order_key'"
        )
    ).scalar()


def test_looking_up_a_page_reads_only_its_own_keys(pg_url):
    with get_engine().begin() as conn:
        conn.execute(
            text(
                "INSERT INTO order_key (source_system, source_instance, source_order_id, "
                "order_id, order_day) SELECT 'shopify', 'main-store', 'stored-' || n, n, "
                "DATE '2026-01-01' FROM generate_series(1, :n) AS n"
            ),
            {"n": STORED},
        )
    page = [f"new-{n}" for n in range(50)] + ["stored-7"]
    with get_engine().begin() as conn:
        before = _keys_read(conn)
        found = stored_hashes(conn, "shopify", "main-store", page)
        read = _keys_read(conn) - before
    assert found == {}  # stored-7 has a key but no order row: nothing to compare with
    assert read <= len(page)
