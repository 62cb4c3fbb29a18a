"""Admin › Channel rules, Quarantine and Sources in a real browser, one screenshot each
(tests/artifacts/admin-*.png); the world is tests/sync/pages_world.py's."""

from __future__ import annotations

import pytest

from ingestion.sources import find_source
from tests.browser import browser_page
from tests.browser import fill_in
from tests.browser import screenshot
from tests.browser import served_app
from tests.browser import sign_in
from tests.browser import submit
from tests.sync.pages_world import PASSWORD

pytestmark = pytest.mark.postgres


@pytest.mark.browser
@pytest.mark.slow
def test_admin_ingestion_pages_in_a_browser(ingest_db):
    with served_app(ingest_db) as base, browser_page() as page:
        sign_in(page, base, "ada", PASSWORD)
        page.goto(f"{base}/admin/rules")
        page.wait_for_selector("#admin-rules-grid .ag-row")
        assert page.locator("#admin-rules-grid .ag-row").count() == 7
        assert "Rule set version 1" in page.inner_text("#admin-rules-version")
        screenshot(page, "admin-rules")

        page.goto(f"{base}/admin/rejects")
        page.wait_for_selector("#admin-rejects-grid .ag-row")
        page.locator("#admin-rejects-grid .ag-row").first.click()
        page.wait_for_selector("#admin-rejects-detail pre")
        assert "Reject" in page.inner_text("#admin-rejects-detail")
        screenshot(page, "admin-rejects")

        page.goto(f"{base}/admin/sources")
        page.wait_for_selector("#admin-sources-grid .ag-row")
        text = page.inner_text("#admin-sources-grid")
        assert "HTTP 401" in text and "main-store" in text
        pos = page.locator("#admin-sources-grid .ag-row:has-text('retail')").first
        assert pos.locator("[col-id=last_success]").inner_text().strip() == "never"
        assert page.inner_text("#admin-sources-as-of").startswith("Data as of")
        screenshot(page, "admin-sources")

        page.click("#admin-sources-new")
        page.wait_for_selector("#admin-sources-form-name", state="visible")
        erp = {
            "#admin-sources-form-name": "erp",
            "#admin-sources-form-kind": "sap",
            "#admin-sources-form-instance": "S4H-200",
            "#admin-sources-form-base-url": "https://s4h.example.com/",
            "#admin-sources-form-secret-env": "sap-password",
        }
        fill_in(page, erp)
        refused = submit(page, "#admin-sources-form-save", "#admin-sources-form-message")
        assert "NAME of an environment variable" in refused
        screenshot(page, "admin-sources-form")
        page.fill("#admin-sources-form-secret-env", "SAP_TOKEN")
        page.click("#admin-sources-form-save")
        page.wait_for_selector("#admin-sources-form-name", state="hidden")
        page.wait_for_selector("#admin-sources-message .alert")
        assert "Added source erp" in page.inner_text("#admin-sources-message")
        page.wait_for_function(
            "() => document.querySelector('#admin-sources-grid').innerText.includes('S4H-200')"
        )
        assert find_source("erp").secret_env == "SAP_TOKEN"
