"""Data quality, Admin › Reports and Admin › Audit in a real browser: the schedule edit is
audited and the report downloads as a PDF; the world is tests/quality/pages_world.py's."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from db import audit
from db.engine import get_engine
from db.users import demo_password
from tests.browser import browser_page
from tests.browser import fill_in
from tests.browser import screenshot
from tests.browser import served_app
from tests.browser import sign_in
from tests.browser import submit


@pytest.mark.slow
@pytest.mark.browser
def test_pages_in_a_browser(pages_db):
    # The quality database is shared by the worker's tests: others may have set schedules too.
    with get_engine(pages_db.url).connect() as conn:
        earlier = len(audit.entries(conn, action="report.schedule"))
    with served_app(pages_db.url) as base, browser_page() as page:
        sign_in(page, base, "admin", demo_password("admin"))

        page.goto(f"{base}/data-quality")
        page.wait_for_selector("#data-quality-grid .ag-row")
        page.wait_for_selector("#data-quality-history .main-svg")
        assert "FAIL" in page.inner_text("#data-quality-summary")
        screenshot(page, "quality-data-quality")

        page.goto(f"{base}/admin/reports")
        page.wait_for_selector("#admin-reports-save")
        schedule = {
            "#admin-reports-recipients": "ceo@example.com\ncoo@example.com",
            "#admin-reports-weekday": "4",
            "#admin-reports-hour": "8",
        }
        fill_in(page, schedule)
        saved = submit(page, "#admin-reports-save", "#admin-reports-message", ".alert-success")
        assert "Fridays at 08:00" in saved
        with page.expect_download(timeout=60_000) as download_info:
            page.click("#admin-reports-download-button")
        download = download_info.value
        assert download.suggested_filename == "channel-performance-week-2026-06-28.pdf"
        with open(download.path(), "rb") as handle:
            assert handle.read(5) == b"%PDF-"
        screenshot(page, "quality-admin-reports")

        page.goto(f"{base}/admin/audit")
        page.wait_for_selector("#admin-audit-grid .ag-row")
        assert "intact" in page.inner_text("#admin-audit-chain")
        count = f"{earlier + 1} {'entry' if earlier == 0 else 'entries'}"
        filtered = (
            f"() => document.querySelector('#admin-audit-count').innerText.startsWith('{count}')"
        )
        # The dropdown's code loads asynchronously (the first keystrokes can land before it is
        # ready) and its search filters the options a render later (Enter could pick the first
        # option of the unfiltered list): search, then click the option itself once it shows.
        for _attempt in range(3):
            page.click("#admin-audit-action")
            page.keyboard.type("report.schedule")
            try:
                page.get_by_role("option", name="report.schedule", exact=True).click(timeout=10_000)
                page.wait_for_function(filtered, timeout=20_000)
                break
            except PlaywrightTimeout:
                page.keyboard.press("Escape")
        page.wait_for_function(filtered)
        assert "coo@example.com" in page.inner_text("#admin-audit-grid")
        screenshot(page, "quality-admin-audit")
        with page.expect_download() as csv_info:
            page.click("#admin-audit-export")
        with open(csv_info.value.path()) as handle:
            exported = handle.read()
        assert "report.schedule" in exported and "coo@example.com" in exported

    with get_engine(pages_db.url).connect() as conn:
        entry, *others = audit.entries(conn, action="report.schedule")  # the newest first
        assert len(others) == earlier
        assert audit.verify(conn) == []
    assert entry["actor"] == "admin"
    assert entry["after"] == {
        "weekday": 4,
        "hour": 8,
        "recipients": ["ceo@example.com", "coo@example.com"],
        "enabled": True,
    }
