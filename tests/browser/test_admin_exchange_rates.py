"""Admin › Exchange rates in a browser: an order quarantined for want of a CHF rate names CHF
as needed; an admin uploads a rates file, sees a bad one refused by its line, then a good one
loaded, the grid updated and the quarantined order waiting for a replay, one click away."""

from __future__ import annotations

import pytest

from db.users import ensure_demo_users
from tests.browser import browser_page
from tests.browser import screenshot
from tests.browser import served_app
from tests.browser import sign_in
from tests.dashapp.test_exchange_rates_page import BAD
from tests.dashapp.test_exchange_rates_page import CHF_AND_EUR
from tests.dashapp.test_exchange_rates_page import load_chf_order

pytestmark = pytest.mark.postgres
ALERT = "#admin-rates-alert"
GAPS = "#admin-rates-gaps"
ROWS = "#admin-rates-grid .ag-center-cols-container .ag-row"


@pytest.mark.browser
def test_admin_uploads_rates_and_sees_the_grid_and_the_waiting_rejects(pg_url, tmp_path):
    logins = {u: p for u, p, _ in ensure_demo_users()}
    load_chf_order(9201, "2024-06-04T10:00:00Z")
    good, bad = tmp_path / "rates.csv", tmp_path / "bad-rates.csv"
    good.write_text(CHF_AND_EUR)
    bad.write_text(BAD)
    with served_app(pg_url) as base, browser_page() as page:
        sign_in(page, base, "admin", logins["admin"])
        page.click("#nav-admin")
        page.click("#nav-admin-rates")
        page.wait_for_selector(
            "#admin-rates-gaps >> text=CHF: 1 quarantined reject", timeout=30_000
        )
        assert page.locator(ROWS).count() == 0
        page.set_input_files("#admin-rates-upload input[type=file]", str(bad))
        page.wait_for_selector(f"{ALERT}.alert-danger", timeout=30_000)
        refused = page.inner_text(ALERT)
        assert "Nothing was loaded" in refused and "line 3: 'abc' is not a number" in refused
        assert page.locator(ROWS).count() == 0
        screenshot(page, "admin-exchange-rates-refused")
        page.set_input_files("#admin-rates-upload input[type=file]", str(good))
        page.wait_for_selector(f"{ALERT}.alert-success", timeout=30_000)
        loaded = page.inner_text(ALERT)
        assert "Loaded 2 rates for CHF, EUR from 2024-06-02 to 2024-06-04." in loaded
        assert "1 quarantined reject in these currencies now has a rate and waits for" in loaded
        assert "a replay: Admin › Quarantine" in loaded
        page.wait_for_function(
            f"() => document.querySelectorAll({ROWS!r}).length === 2", timeout=30_000
        )
        chf = page.locator(ROWS, has_text="CHF").inner_text()
        assert "2024-06-02" in chf and "1.1" in chf and "rates.csv" in chf
        gaps = page.inner_text(GAPS)
        assert "Rates needed" not in gaps and "Every currency" in gaps
        screenshot(page, "admin-exchange-rates-loaded")
        page.click(f"{ALERT} >> text=Admin › Quarantine")
        page.wait_for_selector(
            "#admin-rejects-grid >> text=no exchange rate for CHF", timeout=30_000
        )
        assert page.url == f"{base}/admin/rejects"
