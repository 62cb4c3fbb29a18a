"""Data quality, Admin › Audit and Admin › Reports: access by role, the validation badge,
and each page in a real browser (schedule edit audited, PDF download)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from analytics.periods import Period
from analytics.quality.runner import run_validation
from analytics.quality.tolerances import Tolerances
from dashapp.app import create_app
from dashapp.components.validation_badge import validation_badge
from db import audit
from db.engine import get_engine
from db.users import demo_password, ensure_demo_users
from tests.browser import browser_page, screenshot, served_app, sign_in
from tests.signin import sign_in_client

FAILED_DAY = dt.date(2026, 6, 27)


@pytest.mark.parametrize(
    ("before", "after", "summary"),
    [
        (
            {"hour": 7, "weekday": 0, "enabled": True, "recipients": ["ceo@x.com"]},
            {"hour": 8, "weekday": 0, "enabled": True, "recipients": ["ceo@x.com", "coo@x.com"]},
            "hour: 7 → 8 · recipients: ceo@x.com → ceo@x.com, coo@x.com",
        ),
        ({"state": "open"}, {"state": "open", "note": "checked"}, "note: — → checked"),
        ({"a": 1}, {"a": 1}, "no change"),
        (None, {"role": "planner"}, 'set {"role":"planner"}'),
        ([{"metric": "aov", "value": 120}], None, 'removed [{"metric":"aov","value":120}]'),
        ("0.1", "0.2", "0.1 → 0.2"),
        (None, None, "—"),
    ],
)
def test_audit_change_summary_names_only_what_changed(before, after, summary):
    assert audit.change_summary(before, after) == summary


@pytest.fixture
def pages_db(quality_db):
    ensure_demo_users()
    for n in range(10):
        run_validation(dt.date(2026, 6, 30) - dt.timedelta(days=n))
    # A failing run: the sources look stale from three days later.
    run_validation(
        FAILED_DAY,
        tolerances=Tolerances(freshness_lag=dt.timedelta(hours=1)),
        now=dt.datetime.now(dt.UTC) + dt.timedelta(days=3),
    )
    return quality_db


def signed_in_client(username: str):
    client = create_app().server.test_client()
    response = sign_in_client(client, username, demo_password(username))
    assert response.status_code == 302
    return client


@pytest.mark.parametrize(
    ("username", "path", "status"),
    [
        ("executive", "/data-quality", 403),
        ("planner", "/data-quality", 403),
        ("scientist", "/data-quality", 200),
        ("admin", "/data-quality", 200),
        ("scientist", "/admin/audit", 403),
        ("scientist", "/admin/reports", 403),
        ("admin", "/admin/audit", 200),
        ("admin", "/admin/reports", 200),
    ],
)
def test_pages_by_role(pages_db, username, path, status):
    assert signed_in_client(username).get(path).status_code == status


def badge_text(component) -> str:
    badge = component.children
    children = badge.children
    return "".join(children) if isinstance(children, list) else children


def test_validation_badge_warns_for_failed_days_shown(pages_db):
    create_app()  # registers the pages the badge may link to
    week = Period(dt.date(2026, 6, 22), dt.date(2026, 6, 28))
    failed = validation_badge("overview", week, "data_scientist")
    assert failed.id == "overview-validation-badge"
    assert failed.children.color == "danger"
    assert "Validation failed for 1 day(s) shown (27 Jun): freshness" in badge_text(failed)
    assert failed.children.href == "/data-quality"
    # Executives may not open Data quality: the badge warns without linking there.
    for_executive = validation_badge("overview", week, "executive")
    assert badge_text(for_executive) == badge_text(failed)
    assert getattr(for_executive.children, "href", None) is None

    clean = validation_badge(
        "overview", Period(dt.date(2026, 6, 28), dt.date(2026, 6, 30)), "executive"
    )
    assert clean.children.color == "success"
    assert badge_text(clean).startswith("Validated as of ")


@pytest.mark.slow
@pytest.mark.browser
def test_pages_in_a_browser(pages_db):
    with served_app(pages_db.url) as base, browser_page() as page:
        sign_in(page, base, "admin", demo_password("admin"))

        page.goto(f"{base}/data-quality")
        page.wait_for_selector("#data-quality-grid .ag-row")
        page.wait_for_selector("#data-quality-history .main-svg")
        assert "FAIL" in page.inner_text("#data-quality-summary")
        screenshot(page, "quality-data-quality")

        page.goto(f"{base}/admin/reports")
        page.wait_for_selector("#admin-reports-save")
        page.fill("#admin-reports-recipients", "ceo@example.com\ncoo@example.com")
        page.select_option("#admin-reports-weekday", "4")
        page.select_option("#admin-reports-hour", "8")
        page.click("#admin-reports-save")
        page.wait_for_selector("#admin-reports-message .alert-success")
        assert "Fridays at 08:00" in page.inner_text("#admin-reports-message")
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
        filtered = (
            "() => document.querySelector('#admin-audit-count').innerText.startsWith('1 entry')"
        )
        for _attempt in range(3):  # the dropdown's code loads asynchronously: the first
            page.click("#admin-audit-action")  # keystrokes can land before it is ready
            page.keyboard.type("report.schedule")
            page.keyboard.press("Enter")
            try:
                page.wait_for_function(filtered, timeout=10_000)
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
        (entry,) = audit.entries(conn, action="report.schedule")
        assert audit.verify(conn) == []
    assert entry["actor"] == "admin"
    assert entry["after"] == {
        "weekday": 4,
        "hour": 8,
        "recipients": ["ceo@example.com", "coo@example.com"],
        "enabled": True,
    }
