"""Orders by month (PostgreSQL): a load makes the partitions of a month it writes first; an
order whose newer version falls in another month moves there, stored once, through its key."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import text

from db.engine import get_engine
from db.migrate import downgrade
from db.migrate import upgrade
from db.partitions import ensure_months
from db.partitions import existing_months
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import load_page
from tests.sync.shop import make_order

pytestmark = pytest.mark.postgres

ORIGIN = Origin("shopify", "main-store", "orders", None)


def _load(*payloads: dict):
    items = [Incoming(None, json.dumps(p).encode()) for p in payloads]
    return load_page(get_engine(), ORIGIN, items)[0]


def _placed(conn, table: str) -> list[tuple[str, int]]:
    """(partition, rows) of ``table``, for the partitions holding rows."""
    return conn.execute(
        text(f"SELECT tableoid::regclass::text, count(*) FROM {table} GROUP BY 1 ORDER BY 1")
    ).all()


def _orders_and_lines_placed(conn) -> tuple[list[tuple[str, int]], list[str]]:
    """(partition, orders) of the orders, and the partitions holding their lines."""
    return _placed(conn, "sales_order"), [p for p, _ in _placed(conn, "order_line")]


def _at(payload: dict, created: str, updated: str) -> dict:
    return {**payload, "created_at": created, "updated_at": updated}


def test_a_fresh_database_has_no_partition_and_a_month_is_made_once(pg_url):
    with get_engine().begin() as conn:
        assert existing_months(conn, "sales_order") == set()
        assert ensure_months(conn, [dt.date(2031, 2, 14), dt.date(2031, 2, 1)]) == {
            dt.date(2031, 2, 1)
        }
        assert ensure_months(conn, [dt.date(2031, 2, 28)]) == set()
        assert existing_months(conn, "order_line") == {dt.date(2031, 2, 1)}
        bounds = conn.execute(
            text("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = :name"),
            {"name": "sales_order_2031_02"},
        ).scalar()
    assert bounds == "FOR VALUES FROM ('2031-02-01') TO ('2031-03-01')"


def test_loads_make_the_partitions_of_new_months_and_an_order_moves_between_them(pg_url):
    first = _at(make_order(1), "2026-09-15T10:00:00Z", "2026-09-15T10:01:00Z")
    other = _at(make_order(2), "2026-10-15T10:00:00Z", "2026-10-15T10:01:00Z")
    assert _load(first).inserted == 1
    with get_engine().connect() as conn:
        assert existing_months(conn, "sales_order") == {dt.date(2026, 9, 1)}
        assert existing_months(conn, "order_line") == {dt.date(2026, 9, 1)}
    assert _load(other).inserted == 1
    with get_engine().connect() as conn:
        assert existing_months(conn, "sales_order") == {dt.date(2026, 9, 1), dt.date(2026, 10, 1)}
        assert _orders_and_lines_placed(conn) == (
            [("sales_order_2026_09", 1), ("sales_order_2026_10", 1)],
            ["order_line_2026_09", "order_line_2026_10"],
        )
        (first_id,) = conn.execute(
            text("SELECT id FROM sales_order WHERE source_order_id = :id"), {"id": str(first["id"])}
        ).one()

    # A newer version of the first order, placed in July: made, moved there, stored once.
    moved = _at(make_order(1, version=1), "2026-07-20T10:00:00Z", "2026-09-20T10:00:00Z")
    result = _load(moved)
    assert (result.inserted, result.updated) == (0, 1)
    # An older version arriving late, in September again, changes nothing.
    late = _at(make_order(1), "2026-09-15T10:00:00Z", "2026-09-16T10:00:00Z")
    assert (_load(late).unchanged, _load(moved).unchanged) == (1, 1)
    with get_engine().connect() as conn:
        assert _placed(conn, "sales_order") == [
            ("sales_order_2026_07", 1),
            ("sales_order_2026_10", 1),
        ]
        lines = _placed(conn, "order_line")
        assert dict(lines)["order_line_2026_07"] == len(moved["line_items"])
        assert "order_line_2026_09" not in dict(lines)
        key = conn.execute(
            text("SELECT order_id, order_day FROM order_key WHERE source_order_id = :id"),
            {"id": str(first["id"])},
        ).one()
        stored = conn.execute(
            text("SELECT id, order_day, source_version FROM sales_order WHERE id = :id"),
            {"id": first_id},
        ).one()
    assert tuple(key) == (first_id, stored.order_day)
    assert stored.order_day.month == 7


def _stored(conn) -> dict[str, list]:
    return {
        "orders": conn.execute(
            text("SELECT id, source_order_id, order_day, total, is_new_customer FROM sales_order")
        ).all(),
        "lines": conn.execute(text("SELECT order_id, line_no, qty FROM order_line")).all(),
        "partitioned": conn.execute(
            text("SELECT relname FROM pg_class WHERE relkind = 'p' ORDER BY relname")
        ).all(),
    }


def test_the_migration_keeps_every_order_down_and_up(pg_url):
    _load(
        _at(make_order(1), "2026-08-15T10:00:00Z", "2026-08-15T10:01:00Z"),
        _at(make_order(2), "2026-09-15T10:00:00Z", "2026-09-15T10:01:00Z"),
        make_order(3),
    )
    engine = get_engine()
    with engine.connect() as conn:
        before = _stored(conn)
    assert [name for (name,) in before["partitioned"]] == ["order_line", "sales_order"]

    downgrade(pg_url, "0040")
    engine.dispose()
    with engine.connect() as conn:
        plain = _stored(conn)
        natural_key = conn.execute(
            text("SELECT count(*) FROM pg_constraint WHERE conname = 'uq_order_nk'")
        ).scalar()
    assert sorted(plain["orders"]) == sorted(before["orders"])
    assert sorted(plain["lines"]) == sorted(before["lines"])
    assert (plain["partitioned"], natural_key) == ([], 1)

    upgrade(pg_url)
    engine.dispose()
    with engine.connect() as conn:
        after = _stored(conn)
        keys = conn.execute(text("SELECT order_id, order_day FROM order_key")).all()
    assert sorted(after["orders"]) == sorted(before["orders"])
    assert sorted(after["lines"]) == sorted(before["lines"])
    assert after["partitioned"] == before["partitioned"]
    assert sorted(keys) == sorted((o.id, o.order_day) for o in before["orders"])
    # Loads go on where the migrated orders are: a newer version replaces its order.
    newer = _at(make_order(1, version=1), "2026-08-15T10:00:00Z", "2026-08-20T10:00:00Z")
    assert (_load(newer).updated, len(before["orders"])) == (1, 3)


def test_a_month_seeded_outside_the_loader_stays_in_the_default_partition(pg_url):
    _load(_at(make_order(1), "2026-09-15T10:00:00Z", "2026-09-15T10:01:00Z"))
    with get_engine().begin() as conn:
        # An order written directly (a manual fix, a seeded test order) for May, which has no
        # partition: it lands in the default partition.
        conn.execute(
            text(
                "INSERT INTO sales_order (id, source_system, source_instance, source_order_id, "
                "source_version, source_updated_at, touchpoint_raw, touchpoint_id, "
                "mapping_version, is_new_customer, status, currency, subtotal, discount, tax, "
                "shipping, total, refund_total, fx_rate, total_base, revenue_base, "
                "cost_of_goods_base, units, ordered_at, order_day, payload_sha256) "
                "SELECT id + 1000, source_system, source_instance, 'seeded', source_version, "
                "source_updated_at, touchpoint_raw, touchpoint_id, mapping_version, false, "
                "status, currency, subtotal, discount, tax, shipping, total, refund_total, "
                "fx_rate, total_base, revenue_base, cost_of_goods_base, units, ordered_at, "
                "DATE '2026-05-10', payload_sha256 FROM sales_order"
            )
        )
        assert ensure_months(conn, [dt.date(2026, 5, 20)]) == set()
    # The loader writes May there too, rather than fail to make its partition.
    may = _at(make_order(2), "2026-05-20T10:00:00Z", "2026-05-20T10:01:00Z")
    assert _load(may).inserted == 1
    with get_engine().connect() as conn:
        assert _orders_and_lines_placed(conn) == (
            [("sales_order_2026_09", 1), ("sales_order_default", 2)],
            ["order_line_2026_09", "order_line_default"],
        )
        assert existing_months(conn, "sales_order") == {dt.date(2026, 9, 1)}
