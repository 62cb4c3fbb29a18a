"""Spend booked ahead of the last day with orders reaches the nightly training as the plan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from db.engine import get_engine
from db.rollups import refresh_rollups
from forecasting.data import planned_spend
from forecasting.series import complete_future_exog
from ingestion.canonical import CanonicalSpend
from ingestion.canonical import spend_frame
from ingestion.reference import Lookups
from ingestion.side_tables import load_spend
from tests.conftest import DEMO_END
from tests.conftest import load_demo

pytestmark = pytest.mark.postgres
LAST_DAY = dt.date.fromisoformat(DEMO_END)
BOOKED = {  # (touchpoint, days after the last day with orders) -> spend booked
    ("web", 1): Decimal("1200.50"),
    ("web", 2): Decimal("900.00"),
    ("mobile_app", 1): Decimal("310.25"),
    ("web", 70): Decimal("5000.00"),  # beyond an 8-week horizon
}
CATEGORY = {"web": "ecommerce", "mobile_app": "ecommerce"}


def _book(url: str) -> None:
    rows = [
        CanonicalSpend(
            day=LAST_DAY + dt.timedelta(days=ahead),
            touchpoint_code=touchpoint,
            campaign="plan",
            source_system="ads",
            currency="USD",
            spend=amount,
        )
        for (touchpoint, ahead), amount in BOOKED.items()
    ]
    with get_engine(url).begin() as conn:
        days = load_spend(conn, spend_frame(rows), Lookups.load(conn))
        refresh_rollups(conn, days)


def test_booked_spend_after_the_last_order_day_is_the_forecast_plan(pg_url):
    load_demo(pg_url, n_orders=2_000, years=1)
    _book(pg_url)

    plan = planned_spend("touchpoint", "revenue", LAST_DAY, 56, url=pg_url)
    expected = {
        (f"touchpoint:{tp}:revenue", pd.Timestamp(LAST_DAY + dt.timedelta(days=ahead))): float(v)
        for (tp, ahead), v in BOOKED.items()
        if ahead <= 56
    }
    booked = plan.set_index(["unique_id", "ds"])["spend"]
    assert booked.to_dict() == expected

    by_category = planned_spend("category", "orders", LAST_DAY, 56, url=pg_url)
    day_one = by_category[by_category["ds"] == pd.Timestamp(LAST_DAY + dt.timedelta(days=1))]
    assert day_one.set_index("unique_id")["spend"].to_dict() == {
        "category:ecommerce:orders": pytest.approx(1200.50 + 310.25)
    }

    history = pd.DataFrame(
        {
            "unique_id": "touchpoint:web:revenue",
            "ds": pd.date_range(end=pd.Timestamp(LAST_DAY), periods=14),
            "y": 1.0,
            "spend": 7.0,
        }
    )
    future = complete_future_exog(history, plan, 3, ["spend"])
    assert future["spend"].tolist() == [1200.50, 900.00, 7.0]
