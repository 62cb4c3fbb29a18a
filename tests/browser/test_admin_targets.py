"""Admin › Targets in a browser: an admin imports a target CSV, sees a bad one refused with its
line named, and deletes a target once confirmed, a cancelled deletion changing nothing (each
change audited)."""

from __future__ import annotations

import pytest

from analytics.targets import list_targets
from db.schema import AuditLog
from db.target_tables import Target
from db.users import ensure_demo_users
from tests.browser import browser_page
from tests.browser import screenshot
from tests.browser import served_app
from tests.browser import settle
from tests.browser import sign_in
from tests.pages.target_csvs import BAD
from tests.pages.target_csvs import GOOD
from tests.pages.target_csvs import row_count

pytestmark = pytest.mark.postgres


@pytest.mark.browser
def test_admin_imports_a_target_csv_and_sees_a_bad_one_refused(pg_url, tmp_path):
    logins = {u: p for u, p, _ in ensure_demo_users()}
    good, bad = tmp_path / "targets.csv", tmp_path / "bad-targets.csv"
    good.write_text(GOOD)
    bad.write_text(BAD)
    audits = row_count(AuditLog)
    with served_app(pg_url) as base, browser_page() as page:
        sign_in(page, base, "admin", logins["admin"])
        page.goto(f"{base}/admin/targets")
        page.set_input_files("#admin-targets-upload input[type=file]", str(good))
        page.wait_for_selector("#admin-targets-alert.alert-success", timeout=30_000)
        assert "Imported 3 targets from targets.csv" in page.inner_text("#admin-targets-alert")
        page.wait_for_selector("#admin-targets-grid >> text=$150,000", timeout=30_000)
        page.wait_for_selector("#admin-targets-grid >> text=25%", timeout=30_000)
        screenshot(page, "admin-targets-imported")
        page.set_input_files("#admin-targets-upload input[type=file]", str(bad))
        page.wait_for_selector("#admin-targets-alert.alert-danger", timeout=30_000)
        message = page.inner_text("#admin-targets-alert")
        assert "Nothing was saved" in message and "line 3" in message and "nowhere" in message
        screenshot(page, "admin-targets-bad-csv")
        rows = "#admin-targets-grid .ag-center-cols-container .ag-row"
        row = page.locator(rows, has_text="Margin")
        row.locator(".ag-selection-checkbox input").check()
        question = "#admin-targets-delete-question"
        page.click("#admin-targets-delete")
        page.wait_for_selector(f"{question} >> text=Delete 1 selected target?", timeout=30_000)
        assert "cannot be undone" in page.inner_text(question)
        screenshot(page, "admin-targets-delete-confirmation")
        page.click("#admin-targets-delete-cancel")
        page.wait_for_selector(question, state="hidden", timeout=30_000)
        settle(page)
        assert page.locator(rows).count() == 3 and row_count(Target) == 3
        assert "Deleted" not in page.inner_text("#admin-targets-message")
        page.click("#admin-targets-delete")
        page.wait_for_selector(f"{question} >> text=Delete 1 selected target?", timeout=30_000)
        page.click("#admin-targets-delete-confirm")
        page.wait_for_selector(question, state="hidden", timeout=30_000)
        page.wait_for_selector("#admin-targets-alert >> text=Deleted 1 target.", timeout=30_000)
        page.wait_for_function(
            f"() => document.querySelectorAll({rows!r}).length === 2", timeout=30_000
        )
        screenshot(page, "admin-targets-deleted")
    assert row_count(Target) == 2
    assert row_count(AuditLog) == audits + 4  # each of the 3 targets set, and the deletion
    assert "margin_pct" not in set(list_targets()["metric"])
