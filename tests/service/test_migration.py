"""The 0006 migration creates the forecasting tables on SQLite and PostgreSQL and drops them."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import inspect

from db.engine import get_engine
from db.migrate import downgrade
from db.migrate import upgrade
from forecasting.store import read_forecasts
from forecasting.store import write_forecasts

TABLES = {"forecast", "training_job", "allocation_plan"}


def round_trip(url):
    frame = pd.DataFrame(
        {
            "unique_id": "category:web:revenue",
            "ds": pd.date_range("2026-07-01", periods=3),
            "yhat": [10.123456, 11.0, 12.5],
            "yhat_lower": [8.0, 9.0, 10.0],
            "yhat_upper": [12.0, 13.0, 15.0],
            "model": "prophet",
        }
    )
    with get_engine(url).begin() as conn:
        assert write_forecasts(conn, frame, {"category:web:revenue": "3"}) == 3
        write_forecasts(conn, frame.iloc[:2], {"category:web:revenue": "4"})
    stored = read_forecasts(url=url)
    assert len(stored) == 2 and set(stored["version"]) == {"4"}
    assert stored["yhat"].tolist() == [10.1235, 11.0]
    assert stored["ds"].dt.date.tolist() == [dt.date(2026, 7, 1), dt.date(2026, 7, 2)]


def test_sqlite_upgrade_write_and_downgrade(sqlite_url):
    assert set(inspect(get_engine(sqlite_url)).get_table_names()) >= TABLES
    round_trip(sqlite_url)
    downgrade(sqlite_url, "0002")
    get_engine(sqlite_url).dispose()
    assert not TABLES & set(inspect(get_engine(sqlite_url)).get_table_names())
    upgrade(sqlite_url)


@pytest.mark.postgres
def test_postgres_upgrade_write_and_downgrade(pg_url):
    round_trip(pg_url)
    downgrade(pg_url, "base")
    assert not TABLES & set(inspect(get_engine(pg_url)).get_table_names())
