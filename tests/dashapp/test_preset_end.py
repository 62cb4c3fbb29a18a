"""The period presets end on the last day that is over in the reporting time zone: today's
orders so far are not a day's worth beside whole days (alerts judge only days that are over,
too). The date picker still reaches today, and data that ends earlier is shown to its end."""

from __future__ import annotations

import datetime as dt
import sys
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from tests.alerts.synthetic import write_rollup
from tests.layout_tree import component_in
from tests.signin import post_callback

pytestmark = pytest.mark.postgres
TZ = "Pacific/Auckland"  # half a day ahead of UTC: "today" is the reporting zone's


def orders_until(url: str, last: dt.date, days: int = 400) -> None:
    """A day of orders on each of the ``days`` days up to ``last``."""
    write_rollup(
        url,
        pd.DataFrame(
            [
                {"day": last - dt.timedelta(days=n), "touchpoint_id": 1, "orders": 10}
                | {"visits": 100, "gross_revenue": 500.0, "cost": 0.0}
                for n in range(days)
            ]
        ),
    )


def opening_dates(page: str) -> tuple[dt.date, dt.date, dt.date]:
    """The start and end the page's date picker opens on, and the last day it allows."""
    # Dash imports the pages as ``pages.<name>`` (importing them again would register them twice).
    dates = component_in(sys.modules[f"pages.{page}"].layout(), f"{page}-dates")
    return dates.start_date, dates.end_date, dates.max_date_allowed


def chosen(client, prefix: str, preset: str, first: dt.date, last: dt.date) -> tuple[str, str]:
    """The dates the page's preset picker sets when ``preset`` is chosen (the sync callback)."""
    preset_id, dates_id = f"{prefix}-preset", f"{prefix}-dates"
    body = {
        "output": f"..{preset_id}.value...{dates_id}.start_date...{dates_id}.end_date..",
        "outputs": [
            {"id": preset_id, "property": "value"},
            {"id": dates_id, "property": "start_date"},
            {"id": dates_id, "property": "end_date"},
        ],
        "inputs": [
            {"id": preset_id, "property": "value", "value": preset},
            {"id": dates_id, "property": "start_date", "value": first.isoformat()},
            {"id": dates_id, "property": "end_date", "value": last.isoformat()},
        ],
        "state": [
            {
                "id": f"{prefix}-bounds",
                "property": "data",
                "value": {"first": first.isoformat(), "last": last.isoformat()},
            }
        ],
        "changedPropIds": [f"{preset_id}.value"],
    }
    response = post_callback(client, body)
    assert response.status_code == 200, response.data[:300]
    dates = response.get_json()["response"][dates_id]
    return dates["start_date"], dates["end_date"]


@pytest.fixture
def today(app, pg_url, use_database) -> dt.date:
    use_database(pg_url, reporting_tz=TZ, login_rate_limit="3 per minute")
    return dt.datetime.now(ZoneInfo(TZ)).date()


def test_with_data_up_to_today_the_presets_end_yesterday(pg_url, client_for, today):
    orders_until(pg_url, today)
    yesterday = today - dt.timedelta(days=1)
    first = today - dt.timedelta(days=399)

    # Trends opens on the last 12 months: the 365 days up to yesterday.
    assert opening_dates("trends") == (yesterday - dt.timedelta(days=364), yesterday, today)
    # Overview opens on this quarter to date (or the last complete quarter), never today.
    _, end, allowed = opening_dates("overview")
    assert end < today and allowed == today
    executive = client_for("executive")
    assert chosen(executive, "overview", "last_30", first, today) == (
        (yesterday - dt.timedelta(days=29)).isoformat(),
        yesterday.isoformat(),
    )
    # Picked explicitly (a shared address), a range ending today stays as it is.
    view = sys.modules["pages.trends"].layout(start=first.isoformat(), end=today.isoformat())
    assert (
        component_in(view, "trends-dates").end_date,
        component_in(view, "trends-preset").value,
    ) == (
        today,
        "custom",
    )


def test_with_data_ending_last_week_the_presets_end_on_its_last_day(pg_url, client_for, today):
    last = today - dt.timedelta(days=7)
    orders_until(pg_url, last)

    assert opening_dates("trends") == (last - dt.timedelta(days=364), last, last)
    first = last - dt.timedelta(days=399)
    assert chosen(client_for("executive"), "overview", "last_30", first, last) == (
        (last - dt.timedelta(days=29)).isoformat(),
        last.isoformat(),
    )


def test_with_only_todays_data_the_presets_end_today(pg_url, today):
    orders_until(pg_url, today, days=1)
    assert opening_dates("trends") == (today - dt.timedelta(days=364), today, today)
