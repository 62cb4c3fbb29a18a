"""Temporary tables made once per session: one Table object per name and shape (so statements
over it compile once), empty at every use, whether the session made it in an earlier
transaction, earlier in the same one, or in one that rolled back."""

from __future__ import annotations

import pytest
from sqlalchemy import Column
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from db.engine import get_engine
from db.temporary import temporary_definition
from db.temporary import temporary_table


@pytest.fixture(params=["pg_url", "sqlite_url"])
def url(request) -> str:
    if request.param == "pg_url":
        request.applymarker(pytest.mark.postgres)
    return request.getfixturevalue(request.param)


def _columns() -> tuple[Column, Column]:
    return Column("n", Integer, primary_key=True), Column("label", String(20), index=True)


def _count(conn, table) -> int:
    return conn.execute(select(func.count()).select_from(table)).scalar()


def test_one_table_object_per_name_and_shape():
    one = temporary_definition("tt_shape", *_columns())
    assert temporary_definition("tt_shape", *_columns()) is one
    other = temporary_definition("tt_shape", Column("n", Integer, primary_key=True))
    assert other is not one and other.name == "tt_shape_2"
    assert temporary_definition("tt_shape", Column("n", Integer, primary_key=True)) is other


def test_each_use_starts_empty_in_one_session(url):
    engine = get_engine(url)
    with engine.connect() as conn:
        with conn.begin():
            table = temporary_table(conn, "tt_use", *_columns())
            conn.execute(table.insert(), [{"n": 1, "label": "a"}, {"n": 2, "label": "b"}])
            assert _count(conn, table) == 2
            # Taken again by a later step of the same transaction: empty again.
            assert temporary_table(conn, "tt_use", *_columns()) is table
            assert _count(conn, table) == 0
            conn.execute(table.insert(), [{"n": 3, "label": "c"}])
        with conn.begin():
            temporary_table(conn, "tt_use", *_columns())
            assert _count(conn, table) == 0
            conn.execute(table.insert(), [{"n": 4, "label": "d"}])
        with conn.begin():
            assert conn.execute(select(table.c.n)).scalars().all() in ([], [4])
            temporary_table(conn, "tt_use", *_columns())
            assert _count(conn, table) == 0


def test_a_table_made_in_a_transaction_that_rolled_back_is_made_again(url):
    engine = get_engine(url)
    with engine.connect() as conn:
        transaction = conn.begin()
        table = temporary_table(conn, "tt_rollback", *_columns())
        conn.execute(table.insert(), [{"n": 1, "label": "a"}])
        transaction.rollback()
        with conn.begin():
            temporary_table(conn, "tt_rollback", *_columns())
            conn.execute(table.insert(), [{"n": 2, "label": "b"}])
            assert conn.execute(select(table.c.n)).scalars().all() == [2]


@pytest.mark.postgres
def test_on_postgresql_a_commit_empties_the_table(pg_url):
    with get_engine(pg_url).connect() as conn:
        with conn.begin():
            table = temporary_table(conn, "tt_commit", *_columns())
            conn.execute(table.insert(), [{"n": 1, "label": "a"}])
        rows = conn.execute(text("SELECT count(*) FROM tt_commit")).scalar()
        conn.rollback()
    assert rows == 0
