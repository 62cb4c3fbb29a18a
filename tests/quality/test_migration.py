"""Migration 0005 creates and drops the quality tables on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from db.engine import get_engine
from db.migrate import downgrade
from db.migrate import upgrade

TABLES = {"dq_run", "dq_result", "report_schedule", "report_run"}


def check_round_trip(url: str) -> None:
    assert set(inspect(get_engine(url)).get_table_names()) >= TABLES
    downgrade(url, "quality@base")
    get_engine(url).dispose()
    assert not TABLES & set(inspect(get_engine(url)).get_table_names())
    upgrade(url)
    get_engine(url).dispose()
    assert set(inspect(get_engine(url)).get_table_names()) >= TABLES


def test_sqlite_round_trip(sqlite_url):
    check_round_trip(sqlite_url)


def test_postgresql_round_trip(pg_url):
    check_round_trip(pg_url)
