"""Stock positions on a constructed case with a known answer: a store selling exactly 5 units
a day with 50 on hand runs out on the 10th day; a warehouse serving store-less orders gets
those orders' demand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from db.engine import get_engine
from db.rollup_tables import DailyProductRollup
from db.schema import NO_PLACE
from db.schema import Inventory
from db.schema import Location
from db.schema import Product
from db.schema import Region
from forecasting.stock_data import fulfilment_warehouses
from forecasting.stock_data import stock_positions

pytestmark = pytest.mark.postgres
AS_OF = dt.date(2026, 6, 30)


def build(url):
    days = [AS_OF - dt.timedelta(days=i) for i in range(60)]
    with get_engine(url).begin() as conn:
        conn.execute(
            Region.__table__.insert(),
            [{"id": 1, "code": "us", "name": "US"}, {"id": 2, "code": "ca", "name": "CA"}],
        )
        conn.execute(
            Location.__table__.insert(),
            [
                {"id": 1, "code": "store", "name": "Store", "kind": "store", "region_id": 1},
                {"id": 2, "code": "wh", "name": "Warehouse", "kind": "warehouse", "region_id": 1},
            ],
        )
        conn.execute(
            Product.__table__.insert(),
            [{"id": 1, "sku": "P1", "name": "P1", "list_price": 10, "unit_cost": 5}],
        )
        sales = []
        for day in days:
            sales.append((day, 4, 1, 1, 5))  # the store: 5 a day, every day
            # Online, Canada (no own warehouse): alternating 2 and 6, mean 4.
            sales.append((day, 1, 2, NO_PLACE, 2 if day.toordinal() % 2 else 6))
        conn.execute(
            DailyProductRollup.__table__.insert(),
            [
                {
                    "day": d,
                    "touchpoint_id": t,
                    "region_id": r,
                    "location_id": loc,
                    "product_id": 1,
                    "lines": u,
                    "units": u,
                    "revenue": 10 * u,
                    "cost": 5 * u,
                }
                for d, t, r, loc, u in sales
            ],
        )
        conn.execute(
            Inventory.__table__.insert(),
            [
                {"day": AS_OF, "product_id": 1, "location_id": 1, "on_hand": 50, "on_order": 0},
                {"day": AS_OF, "product_id": 1, "location_id": 2, "on_hand": 400, "on_order": 0},
            ],
        )


def test_stockout_date_probability_and_cover_on_a_known_case(pg_url):
    build(pg_url)
    assert fulfilment_warehouses(pg_url) == {1: 2, 2: 2}
    positions = stock_positions(horizon=28, history_days=28, url=pg_url).set_index("location")
    store = positions.loc["store"]
    assert store["velocity"] == 5.0
    assert store["days_of_cover"] == pytest.approx(10.0)
    # Poisson-floor spread: sd = sqrt(5) a day. Day t's cumulative demand ~ N(5t, 5t).
    by_day = stats.norm.sf(50, loc=5 * np.arange(1, 29), scale=np.sqrt(5 * np.arange(1, 29)))
    assert store["stockout_probability"] == pytest.approx(by_day[-1])
    expected_day = np.sum(np.arange(1, 29) * np.diff(by_day, prepend=0)) / by_day[-1]
    assert store["stockout_date"] == pd.Timestamp(AS_OF) + pd.Timedelta(days=round(expected_day))
    assert abs(round(expected_day) - 10) <= 1

    warehouse = positions.loc["wh"]
    assert warehouse["velocity"] == 4.0
    assert warehouse["sd_daily"] == pytest.approx(np.std([2, 6] * 14, ddof=1))
    assert warehouse["days_of_cover"] == pytest.approx(100.0)
    assert bool(warehouse["overstock"]) and not bool(store["overstock"])
    assert warehouse["stockout_probability"] < 1e-6
