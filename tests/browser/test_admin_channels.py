"""Admin › Channels in a real browser: an admin adds a category and a touchpoint, sees the
channel rules beside each touchpoint, renames, moves (the page reports what the move
refreshed), retires and restores, and is refused deleting a channel in use (retiring and deleting
each confirmed first) — every change audited under the admin's name; a planner gets no link and
the "no access" page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from analytics.taxonomy import list_channels
from db.engine import get_engine
from db.schema import AuditLog
from db.users import ensure_demo_users
from tests.browser import browser_page
from tests.browser import screenshot
from tests.browser import served_app
from tests.browser import settle
from tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.postgres]
MESSAGE = "#admin-channels-message"


def press(page, button: str, expected: str, outcome: str = "success") -> str:
    page.click(f"#admin-channels-{button}")
    page.wait_for_selector(f"{MESSAGE} .alert-{outcome}", timeout=30_000)
    text = page.inner_text(MESSAGE)
    assert expected in " ".join(text.split()), text
    page.click(f"{MESSAGE} .btn-close")
    page.wait_for_selector(f"{MESSAGE} .alert", state="detached")
    return text


def ask(page, button: str, question: str) -> None:
    """Click a button that asks first: its confirmation opens asking ``question``."""
    page.click(f"#admin-channels-{button}")
    asked = page.wait_for_selector(f"#admin-channels-{button}-question", timeout=30_000)
    page.wait_for_function("(node) => node.innerText.length > 0", arg=asked, timeout=30_000)
    assert question in " ".join(asked.inner_text().split()), asked.inner_text()


def confirm(page, button: str, expected: str, outcome: str = "success") -> str:
    """Confirm the open confirmation of ``button``; the page says ``expected``."""
    text = press(page, f"{button}-confirm", expected, outcome)
    page.wait_for_selector(f"#admin-channels-{button}-question", state="hidden")
    return text


def grid_row(page, code: str) -> str:
    return page.inner_text(
        f"#admin-channels-grid .ag-row:has(div[col-id='code']:text-is('{code}'))"
    )


def test_admin_edits_the_taxonomy_and_a_planner_cannot_open_it(pg_url):
    logins = {u: p for u, p, _ in ensure_demo_users()}
    with served_app(pg_url) as base, browser_page() as page:
        sign_in(page, base, "admin", logins["admin"])
        page.goto(f"{base}/admin/channels")
        page.wait_for_selector("#admin-channels-grid .ag-row", timeout=30_000)
        settle(page)
        assert "#1 shopify source_name equals web" in grid_row(page, "web")
        assert "amazon,ebay" in grid_row(page, "marketplace")

        page.fill("#admin-channels-category-code", "Travel Agents")
        page.fill("#admin-channels-category-name", "Travel agents")
        press(page, "add-category", "must be a lowercase slug", "danger")
        page.fill("#admin-channels-category-code", "travel_agents")
        press(page, "add-category", "Category Travel agents (travel_agents) added")
        page.wait_for_selector(
            "#admin-channels-touchpoint-category option[value=travel_agents]", state="attached"
        )

        page.fill("#admin-channels-touchpoint-code", "agent_desk")
        page.fill("#admin-channels-touchpoint-name", "Agent desk")
        page.select_option("#admin-channels-touchpoint-category", "travel_agents")
        page.select_option("#admin-channels-basis", "opportunities")
        press(page, "add-touchpoint", "Agent desk (agent_desk) added to travel_agents")
        assert "opportunities" in grid_row(page, "agent_desk")

        page.select_option("#admin-channels-channel", "touchpoint:agent_desk")
        page.fill("#admin-channels-new-name", "Agents' desk")
        press(page, "rename", "agent_desk renamed Agents' desk")
        page.select_option("#admin-channels-channel", "touchpoint:agent_desk")
        page.select_option("#admin-channels-move-to", "wholesale")
        press(page, "move", "moved from travel_agents to wholesale")
        assert "Wholesale" in grid_row(page, "agent_desk")
        page.select_option("#admin-channels-channel", "touchpoint:agent_desk")
        ask(page, "retire", "Retire Agents' desk (touchpoint agent_desk)?")
        confirm(page, "retire", "(agent_desk) retired")
        assert "retired" in grid_row(page, "agent_desk")
        page.select_option("#admin-channels-channel", "touchpoint:agent_desk")
        press(page, "restore", "(agent_desk) restored")
        page.select_option("#admin-channels-channel", "touchpoint:web")
        ask(page, "delete", "Delete Web (touchpoint web)?")
        confirm(page, "delete", "'web' is in use (1 channel rules)", "danger")
        screenshot(page, "admin-channels")

    found = {c.code: c for c in list_channels()}
    assert (found["agent_desk"].name, found["agent_desk"].category) == ("Agents' desk", "wholesale")
    assert not found["agent_desk"].retired and "web" in found
    with get_engine(pg_url).connect() as conn:
        actions = conn.execute(
            select(AuditLog.action, AuditLog.actor)
            .where(AuditLog.action.startswith("channel."))
            .order_by(AuditLog.id)
        ).all()
    assert [tuple(a) for a in actions] == [
        (f"channel.{action}", "admin")
        for action in ("add_category", "add_touchpoint", "rename", "move", "retire", "restore")
    ]


def test_a_planner_has_no_link_to_the_page_and_cannot_open_it(pg_url):
    logins = {u: p for u, p, _ in ensure_demo_users()}
    with served_app(pg_url) as base, browser_page() as page:
        sign_in(page, base, "planner", logins["planner"])
        assert page.locator("a[href='/admin/channels']").count() == 0
        page.goto(f"{base}/admin/channels")
        page.wait_for_selector("#forbidden-page", timeout=30_000)
        assert page.locator("#admin-channels-grid").count() == 0
