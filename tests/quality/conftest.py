"""A PostgreSQL database with a small demo data set, shared by the quality tests.

Tests that seed a defect do it inside a transaction they roll back, so the data
stays clean for the next test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, insert, select

from db.engine import get_engine
from db.migrate import upgrade
from db.schema import SalesOrder
from tests.conftest import create_database, drop_database, load_demo

QUALITY_ORDERS = 3000


@pytest.fixture(scope="session")
def quality_demo() -> Iterator:
    url = create_database("cp_quality")
    upgrade(url)
    data = load_demo(url, n_orders=QUALITY_ORDERS)
    data.loaded_at = dt.datetime.now(dt.UTC)
    yield data
    drop_database(url)


@pytest.fixture
def quality_db(quality_demo, use_database):
    """The shared quality database, made the configured database for this test."""
    use_database(quality_demo.url)
    return quality_demo


@pytest.fixture
def rollback_conn(quality_demo) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back after the test."""
    with get_engine(quality_demo.url).connect() as conn:
        transaction = conn.begin()
        yield conn
        transaction.rollback()


ORDERS = SalesOrder.__table__


def copy_order(conn: Connection, template_id: int, **overrides) -> int:
    """Insert a copy of an existing order (without lines) with some columns changed."""
    row = dict(conn.execute(select(ORDERS).where(ORDERS.c.id == template_id)).mappings().one())
    row.pop("id")
    row.pop("sample_slot")  # generated from the id
    row.update(overrides)
    return conn.execute(insert(ORDERS).values(**row).returning(ORDERS.c.id)).scalar_one()
