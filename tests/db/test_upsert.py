"""Bulk upserts: rows that repeat a key resolve as they would one by one, on both databases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from db.engine import get_engine
from db.schema import ExchangeRate
from db.upsert import CHUNK
from db.upsert import bulk_upsert

RATE = ExchangeRate.__table__
COLUMNS = ["day", "currency", "rate", "source"]
KEY = ["day", "currency"]
DAY = dt.date(2026, 3, 1)


def stored(url: str) -> dict[tuple[dt.date, str], tuple[Decimal, str]]:
    with get_engine(url).connect() as conn:
        rows = conn.execute(select(RATE.c.day, RATE.c.currency, RATE.c.rate, RATE.c.source))
        return {(day, currency): (rate, source) for day, currency, rate, source in rows}


@pytest.fixture(params=["pg_url", "sqlite_url"])
def url(request) -> str:
    if request.param == "pg_url":
        request.applymarker(pytest.mark.postgres)
    return request.getfixturevalue(request.param)


def upsert_rates(conn, rows, **options) -> None:
    """Exchange rate rows upserted by (day, currency)."""
    bulk_upsert(conn, RATE, COLUMNS, rows, KEY, **options)


def test_the_last_row_of_a_key_wins_and_replaces_the_stored_one(url):
    with get_engine(url).begin() as conn:
        upsert_rates(conn, [(DAY, "EUR", "1.10000000", "first")])
    with get_engine(url).begin() as conn:
        upsert_rates(
            conn,
            [
                (DAY, "EUR", "1.20000000", "second"),
                (DAY, "GBP", "1.30000000", "only"),
                (DAY, "EUR", "1.25000000", "third"),
            ],
        )
    assert stored(url) == {
        (DAY, "EUR"): (Decimal("1.25"), "third"),
        (DAY, "GBP"): (Decimal("1.3"), "only"),
    }


def test_without_columns_to_update_the_stored_and_first_rows_are_kept(url):
    with get_engine(url).begin() as conn:
        upsert_rates(conn, [(DAY, "EUR", "1.10000000", "stored")])
        upsert_rates(
            conn,
            [
                (DAY, "EUR", "9.00000000", "ignored"),
                (DAY, "GBP", "1.30000000", "first"),
                (DAY, "GBP", "9.00000000", "ignored"),
            ],
            update=[],
        )
    assert stored(url) == {
        (DAY, "EUR"): (Decimal("1.1"), "stored"),
        (DAY, "GBP"): (Decimal("1.3"), "first"),
    }


def test_more_rows_than_one_statement_takes_all_land(url):
    days = [DAY + dt.timedelta(days=n) for n in range(CHUNK * 2 + 7)]
    rows = [(day, "EUR", f"{1 + n / 1e6:.8f}", "bulk") for n, day in enumerate(days)]
    with get_engine(url).begin() as conn:
        upsert_rates(conn, iter(rows))
    assert stored(url) == {
        (day, currency): (Decimal(rate), source) for day, currency, rate, source in rows
    }
