"""Admin › Users in a real browser: add a user, change the role, refuse a bad input, issue an API
token shown once, revoke it, reset a password; all audited."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from db.engine import get_engine
from db.roles import system
from db.schema import AuditLog
from db.users import add_user
from db.users import authenticate
from db.users import ensure_demo_users
from db.users import token_owner
from tests.browser import browser_page
from tests.browser import screenshot
from tests.browser import served_app
from tests.browser import sign_in
from tests.browser import submit

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

QUERY = {"metric": "revenue", "by": "channel", "start": "2025-01-01", "end": "2025-01-31"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


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


def _row(page, username: str):
    return page.locator(f"#admin-users-grid .ag-row:has([col-id=username]:text-is('{username}'))")


def test_admin_issues_a_token_shown_once_revokes_it_and_resets_a_password(pg_url):
    ensure_demo_users()
    add_user("erin", "first-password", "executive", system("tests"))
    with served_app(pg_url) as base, browser_page() as page:
        erin = page.context.browser.new_context().new_page()
        sign_in(erin, base, "erin", "first-password")
        sign_in(page, base, "admin", "admin-demo")
        page.goto(f"{base}/admin/users")
        page.wait_for_selector("#admin-users-grid .ag-row")
        assert _row(page, "erin").locator("[col-id=api_token]").inner_text().strip() == "none"

        page.select_option("#admin-users-target-user", "erin")
        submit(page, "#admin-users-issue-token", "#admin-users-message", ".alert-success")
        token = page.input_value("#admin-users-token-value")
        assert token_owner(token).username == "erin"
        assert "will not be shown again" in page.inner_text("#admin-users-token")
        assert token not in page.inner_text("#admin-users-message") and token not in page.url
        page.wait_for_selector("#admin-users-grid [col-id=api_token]:text-is('issued')")
        answer = requests.get(f"{base}/api/v1/metrics", params=QUERY, headers=bearer(token))
        assert answer.status_code == 200
        screenshot(page, "admin-users-token")

        page.reload()
        page.wait_for_selector("#admin-users-grid .ag-row")
        assert page.locator("#admin-users-token-value").count() == 0
        assert token not in page.content()

        page.select_option("#admin-users-target-user", "erin")
        submit(page, "#admin-users-revoke-token", "#admin-users-message", ".alert-success")
        _row(page, "erin").locator("[col-id=api_token]:text-is('none')").wait_for()
        answer = requests.get(f"{base}/api/v1/metrics", params=QUERY, headers=bearer(token))
        assert answer.status_code == 401

        page.fill("#admin-users-new-password", "short")
        page.click("#admin-users-reset-password")
        page.wait_for_selector("#admin-users-message .alert-danger:has-text('at least 8')")
        page.fill("#admin-users-new-password", "second-password")
        page.click("#admin-users-reset-password")
        page.wait_for_selector("#admin-users-message:has-text('erin has a new password')")
        screenshot(page, "admin-users-password")

        erin.goto(f"{base}/")
        erin.wait_for_selector("#login-submit")  # signed out by the reset
        sign_in(erin, base, "erin", "second-password")
    assert authenticate("erin", "first-password") is None
    with get_engine(pg_url).connect() as conn:
        entries = conn.execute(
            select(AuditLog.actor, AuditLog.action, AuditLog.before, AuditLog.after)
            .where(AuditLog.entity_id == "erin")
            .order_by(AuditLog.id)
        ).all()
    assert [tuple(e) for e in entries] == [
        ("tests", "user.add", None, {"role": "executive"}),
        ("admin", "user.issue_token", None, None),
        ("admin", "user.revoke_token", None, None),
        ("admin", "user.set_password", None, None),
    ]
