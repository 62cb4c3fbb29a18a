"""The migrations run up, down and up again on PostgreSQL and SQLite, and seed editable data."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from db import audit
from db.engine import get_engine
from db.migrate import downgrade
from db.migrate import upgrade
from db.schema import Base
from db.schema import ChannelCategory
from db.schema import ChannelRule
from db.schema import Role
from db.schema import Touchpoint

CANONICAL_TABLES = {
    "channel_category",
    "touchpoint",
    "channel_rule",
    "region",
    "location",
    "product",
    "customer",
    "sales_order",
    "order_line",
    "refund",
    "traffic",
    "marketing_spend",
    "inventory",
    "touch",
    "target",
    "role",
    "app_user",
    "audit_log",
    "daily_rollup",
    "daily_channel_rollup",
    "daily_channel_basket_rollup",
    "daily_product_rollup",
    "daily_basket_rollup",
    "ingest_run",
}


@pytest.mark.parametrize("database", ["pg_url", "sqlite_url"])
def test_up_down_up_creates_every_table_of_the_canonical_model(database, request):
    url = request.getfixturevalue(database)
    assert set(inspect(get_engine(url)).get_table_names()) >= CANONICAL_TABLES
    downgrade(url, "base")
    assert not CANONICAL_TABLES & set(inspect(get_engine(url)).get_table_names())
    upgrade(url)
    tables = set(inspect(get_engine(url)).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables


@pytest.mark.parametrize("database", ["pg_url", "sqlite_url"])
def test_taxonomy_roles_and_rules_are_seeded_as_data(database, request):
    url = request.getfixturevalue(database)
    with get_engine(url).connect() as conn:
        tree = conn.execute(
            select(ChannelCategory.name, Touchpoint.name).join(
                Touchpoint, Touchpoint.category_id == ChannelCategory.id
            )
        ).all()
        roles = set(conn.execute(select(Role.code)).scalars())
        rules = conn.execute(select(ChannelRule.priority)).scalars().all()
    assert ("E-commerce", "Mobile App") in tree
    assert ("Physical Retail", "Physical Store") in tree
    assert ("Wholesale", "B2B Portal") in tree
    assert ("Direct Sales", "Call Center") in tree
    assert roles == {"executive", "planner", "data_scientist", "admin"}
    assert len(rules) == 7
    with get_engine(url).begin() as conn:
        conn.execute(text("UPDATE touchpoint SET name = 'App' WHERE code = 'mobile_app'"))
        assert (
            conn.execute(text("SELECT name FROM touchpoint WHERE code='mobile_app'")).scalar()
            == "App"
        )


@pytest.mark.parametrize("database", ["pg_url", "sqlite_url"])
def test_the_database_refuses_to_change_audit_entries(database, request):
    url = request.getfixturevalue(database)
    with get_engine(url).begin() as conn:
        audit.record(conn, "tester", "target.set", "target", "1", {"v": 1}, {"v": 2})
    for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), get_engine(url).begin() as conn:
            conn.execute(text(statement))
    with get_engine(url).connect() as conn:
        assert audit.verify(conn) == []
        assert conn.execute(text("SELECT actor FROM audit_log")).scalar() == "tester"
