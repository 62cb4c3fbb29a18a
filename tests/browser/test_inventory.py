"""The Inventory page in a real browser: once a planner applies the re-allocation for a stock
day, the page shows that plan (who applied it, when, its transfers) with Apply disabled."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from analytics.allocation import applied_plan
from db.engine import get_engine
from db.forecast_tables import AllocationPlan
from db.users import ensure_demo_users
from tests.browser import browser_page
from tests.browser import screenshot
from tests.browser import served_app
from tests.browser import settle
from tests.browser import sign_in
from tests.conftest import load_demo

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


def test_an_applied_plan_is_shown_and_not_applied_again(pg_url):
    load_demo(pg_url, n_orders=3000, seed=4, years=2)
    ensure_demo_users()
    with served_app(pg_url) as base, browser_page() as page:
        sign_in(page, base, "planner", "planner-demo")
        page.goto(f"{base}/inventory")
        page.wait_for_selector("#inventory-plan .ag-row", timeout=60_000)
        assert "Recommended re-allocation" in page.inner_text("body")
        recommended = page.inner_text("#inventory-effect")
        assert page.is_enabled("#inventory-apply")
        assert page.locator("#inventory-applied").count() == 0
        page.click("#inventory-apply")
        page.wait_for_selector("#inventory-message .alert-success", timeout=30_000)
        assert "Plan 1 applied" in page.inner_text("#inventory-message")

        page.reload()
        page.wait_for_selector("#inventory-plan .ag-row", timeout=60_000)
        settle(page)
        screenshot(page, "inventory-plan-applied")
        assert "Applied re-allocation" in page.inner_text("body")
        note = page.inner_text("#inventory-applied")
        assert "Plan 1 was applied for this stock day by planner on" in note
        assert "when new stock counts arrive" in note
        assert page.inner_text("#inventory-effect") == recommended
        assert page.is_disabled("#inventory-apply")

    with get_engine(pg_url).connect() as conn:
        plan = conn.execute(select(AllocationPlan.__table__)).mappings().one()
    shown = applied_plan(plan["as_of"])
    assert shown.id == plan["id"] and shown.created_by == "planner"
    assert f"{len(plan['moves'])} transfers, {plan['units_moved']} units" in recommended
