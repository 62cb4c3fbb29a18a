"""An alert's breakdown: traffic / conversion / AOV effects and top contributors, checked on a
rollup built so each effect is known by construction."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import insert

from analytics.alerts.breakdown import breakdown
from analytics.alerts.breakdown import effect_totals
from analytics.periods import Period
from db.engine import get_engine
from db.rollup_tables import DailyProductRollup
from db.schema import Product
from tests.alerts.conftest import make_rule
from tests.alerts.synthetic import write_rollup

pytestmark = pytest.mark.postgres
DAY = dt.date(2026, 6, 24)  # a Wednesday; compared with the Wednesday before
BEFORE = DAY - dt.timedelta(days=7)
# touchpoint id -> (visits, orders, revenue) before and on the alert day
WEB = {BEFORE: (1000, 50, 5000.0), DAY: (1000, 25, 2500.0)}  # conversion halves
APP = {BEFORE: (500, 20, 1600.0), DAY: (600, 24, 1920.0)}  # traffic +20 %


def _load(url):
    rows = [
        {"day": day, "touchpoint_id": tp, "visits": v, "orders": o, "gross_revenue": r, "cost": 0}
        for tp, values in ((1, WEB), (2, APP))
        for day, (v, o, r) in values.items()
    ]
    write_rollup(url, pd.DataFrame(rows))
    products = [
        {"id": 1, "sku": "A-1", "name": "Alpha", "category": "x", "list_price": 10, "unit_cost": 5},
        {"id": 2, "sku": "B-2", "name": "Beta", "category": "x", "list_price": 10, "unit_cost": 5},
    ]
    sales = {(BEFORE, 1): 3000, (DAY, 1): 1000, (BEFORE, 2): 2000, (DAY, 2): 1500}
    with get_engine(url).begin() as conn:
        conn.execute(insert(Product.__table__), products)
        conn.execute(
            insert(DailyProductRollup.__table__),
            [
                {
                    "day": day,
                    "touchpoint_id": 1,
                    "region_id": 0,
                    "location_id": 0,
                    "product_id": product,
                    "lines": 1,
                    "units": 1,
                    "revenue": revenue,
                    "cost": 0,
                }
                for (day, product), revenue in sales.items()
            ],
        )


def test_effects_and_contributors(scratch_url):
    _load(scratch_url)
    rule = make_rule(kind="band", metric="revenue")
    result = breakdown(rule, Period(DAY, DAY), url=scratch_url)
    assert result.comparison == Period(BEFORE, BEFORE)
    totals = effect_totals(result)
    change = sum(v[DAY][2] - v[BEFORE][2] for v in (WEB, APP))
    assert sum(totals[k] for k in ("traffic_effect", "conversion_effect", "aov_effect")) == (
        pytest.approx(change)
    )
    assert totals["conversion_effect"] == pytest.approx(2500.0 - 5000.0)  # all of web's change
    assert totals["traffic_effect"] == pytest.approx(1920.0 - 1600.0)  # all of the app's
    assert totals["aov_effect"] == pytest.approx(0.0, abs=1e-6)
    touchpoints = result.contributors["touchpoint"]
    assert list(touchpoints["name"]) == ["Web", "Mobile App"]
    assert list(touchpoints["change"]) == pytest.approx([-2500.0, 320.0])
    products = result.products
    assert list(products["code"]) == ["A-1", "B-2"]
    assert list(products["change"]) == pytest.approx([-2000.0, -500.0])


def test_scope_limits_the_breakdown(scratch_url):
    _load(scratch_url)
    rule = make_rule(
        kind="band", metric="revenue", scope_type="touchpoint", scope_code="mobile_app"
    )
    result = breakdown(rule, Period(DAY, DAY), url=scratch_url)
    assert list(result.contributors["touchpoint"]["name"]) == ["Mobile App"]
    assert result.products.empty  # the products were all sold on the web
    assert effect_totals(result)["traffic_effect"] == pytest.approx(320.0)
