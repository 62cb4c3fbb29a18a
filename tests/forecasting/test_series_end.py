"""The series a model learns from end with the last day that is over: today's orders so far
would read as a collapse on the last day (a lag feature, a level, a calibration)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from db.settings import get_settings
from forecasting.data import channel_series
from forecasting.errors import ForecastingError
from tests.alerts.synthetic import write_rollup

pytestmark = pytest.mark.postgres


def _orders_on(url: str, days: list[dt.date]) -> None:
    write_rollup(
        url,
        pd.DataFrame(
            [
                {"day": day, "touchpoint_id": 1, "orders": 10, "visits": 100}
                | {"gross_revenue": 500.0, "cost": 0.0}
                for day in days
            ]
        ),
    )


def test_series_stop_at_yesterday_in_the_reporting_time_zone(pg_url, use_database):
    use_database(pg_url, reporting_tz="Pacific/Auckland")
    today = dt.datetime.now(ZoneInfo("Pacific/Auckland")).date()
    _orders_on(pg_url, [today - dt.timedelta(days=n) for n in range(30, -1, -1)])

    series = channel_series("touchpoint", "orders")

    yesterday = today - dt.timedelta(days=1)
    assert get_settings().last_day_over() == yesterday
    assert series["ds"].max().date() == yesterday
    assert series["ds"].min().date() == today - dt.timedelta(days=30)
    assert (series["y"] == 10).all()
    earlier = today - dt.timedelta(days=10)
    assert channel_series("touchpoint", "orders", end=earlier)["ds"].max().date() == earlier


def test_a_history_of_only_today_is_not_a_series_yet(pg_url, use_database):
    use_database(pg_url)
    _orders_on(pg_url, [get_settings().last_day_over() + dt.timedelta(days=1)])
    with pytest.raises(ForecastingError, match="no day with orders up to"):
        channel_series("touchpoint", "orders")
