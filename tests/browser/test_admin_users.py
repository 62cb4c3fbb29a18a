"""Admin › Users in a real browser: add a user, change the role, refuse a bad input, all audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from db.engine import get_engine
from db.schema import AuditLog
from db.users import authenticate
from db.users import ensure_demo_users
from tests.browser import browser_page
from tests.browser import screenshot
from tests.browser import served_app
from tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


def test_admin_adds_a_user_and_changes_the_role(pg_url):
    ensure_demo_users()
    with served_app(pg_url) as base, browser_page() as page:
        sign_in(page, base, "admin", "admin-demo")
        page.goto(f"{base}/admin/users")
        page.wait_for_selector("#admin-users-grid .ag-row")
        page.fill("#admin-users-username", "x")
        page.fill("#admin-users-password", "long-enough-1")
        page.click("#admin-users-add")
        page.wait_for_selector("#admin-users-message .alert-danger")
        assert "username must be" in page.inner_text("#admin-users-message")

        page.fill("#admin-users-username", "dana")
        page.click("#admin-users-add")
        page.wait_for_selector("#admin-users-message .alert-success")
        page.wait_for_selector("#admin-users-grid .ag-row:has-text('dana')")
        # The grid must not read a signed-in user's stamp as a date and blank everyone else's.
        dana = page.locator("#admin-users-grid .ag-row:has-text('dana')").first
        assert dana.locator("[col-id=last_login]").inner_text().strip() == "never"
        page.select_option("#admin-users-target-user", "dana")
        page.select_option("#admin-users-new-role", "planner")
        page.click("#admin-users-set-role")
        page.wait_for_selector("#admin-users-message:has-text('dana is now Planner')")
        screenshot(page, "admin-users")
    assert authenticate("dana", "long-enough-1").role == "planner"
    with get_engine(pg_url).connect() as conn:
        actions = conn.execute(
            select(AuditLog.action, AuditLog.actor).where(AuditLog.entity_id == "dana")
        ).all()
    assert [tuple(a) for a in actions] == [("user.add", "admin"), ("user.set_role", "admin")]
