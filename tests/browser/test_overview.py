"""The Overview in a real browser: every role signs in, sees its navigation, and the KPIs."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.metrics import format_value
from analytics.views.overview import build_overview
from dashapp.components.filters import preset_period
from db.users import ensure_demo_users
from tests.browser import browser_page
from tests.browser import screenshot
from tests.browser import served_app
from tests.browser import sign_in

EXPECTED_NAV = {
    "executive": {"Overview"},
    "planner": {"Overview"},
    "scientist": {"Overview"},
    "admin": {"Overview", "Admin"},
}

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


def test_each_role_sees_its_navigation_and_the_overview(demo):
    logins = ensure_demo_users()
    period = preset_period("quarter", dt.date(2026, 6, 30))
    expected = build_overview(period)
    with served_app(demo.url) as base, browser_page() as page:
        for username, password, _role in logins:
            sign_in(page, base, username, password)
            links = {t.strip() for t in page.locator("#nav-links .nav-link").all_inner_texts()}
            assert EXPECTED_NAV[username] <= links
            if username == "admin":
                page.click("#nav-admin")
                assert page.locator("#nav-admin-users").is_visible()
            else:
                assert "Admin" not in links
            page.wait_for_selector("#overview-card-revenue-value", timeout=30_000)
            revenue_text = page.inner_text("#overview-card-revenue-value")
            assert revenue_text.startswith(format_value(expected.kpis["revenue"].value, "currency"))
            assert "Q2 2026" in revenue_text
            assert page.inner_text("#overview-card-top-value") == expected.top_channel
            page.wait_for_selector("#overview-revenue-chart .main-svg")
            screenshot(page, f"overview-{username}")
            page.click("#nav-logout")
            page.wait_for_url("**/login")
        sign_in(page, base, "executive", "executive-demo")
        response = page.goto(f"{base}/admin/users")
        assert response.status == 403
        # The app's own frame, with its navigation and a "no access" page: none of the page.
        page.wait_for_selector("#forbidden-page")
        assert page.locator("#nav-links").is_visible()
        assert page.locator("#admin-users-grid").count() == 0
        screenshot(page, "forbidden-executive")
