"""Admin › Upload data in a real browser: the hotel bookings export with a pasted (then saved)
mapping, the dry run's rows, the load as an RQ job run by a real worker and polled by the page,
and revenue and bookings per channel and quarter equal to pandas over the file to the cent.
Loading the same file again changes nothing; a planner cannot open the page."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select

from db.engine import get_engine
from db.roles import system
from db.schema import AuditLog
from db.schema import SalesOrder
from db.users import add_user
from tests.browser import browser_page
from tests.browser import screenshot
from tests.browser import served_app
from tests.browser import settle
from tests.browser import sign_in
from tests.files.hotel import MAPPING
from tests.files.hotel import create_taxonomy
from tests.files.hotel import expected
from tests.files.hotel import hotel_bookings
from tests.files.hotel import loaded
from tests.files.hotel import raw_with_channels

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis]
ROOT = Path(__file__).resolve().parents[2]
PAGE = "/admin/sources/upload"
# The mapping as pasted: no source_system, so the page's source name supplies it.
PASTED = "\n".join(line for line in MAPPING.splitlines() if "source_system" not in line)


def own_redis(redis_url: str) -> str:
    """A Redis database of this test's own, so no other test's worker takes its jobs."""
    return redis_url.rsplit("/", 1)[0] + "/13"


def worker(env: dict) -> subprocess.Popen:
    command = [sys.executable, "-m", "cli.main", "worker", "jobs", "--queues", "ingest"]
    return subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def upload(page, base: str, export: Path) -> None:
    page.goto(f"{base}{PAGE}")
    page.wait_for_selector("#admin-upload-file", timeout=30_000)
    page.set_input_files("#admin-upload-file input[type=file]", str(export))
    page.wait_for_function(
        "() => document.querySelector('#admin-upload-file-name').innerText.includes('bookings')"
    )


def test_an_admin_uploads_a_booking_export_and_loads_it_as_a_job(
    pg_url, use_database, redis_url, tmp_path
):
    redis = own_redis(redis_url)
    use_database(pg_url, base_currency="EUR")
    add_user("admin", "admin-password-1", "admin", system("tests"))
    add_user("planner", "planner-password", "planner", system("tests"))
    create_taxonomy()
    bookings = hotel_bookings()
    export = tmp_path / "bookings.csv"
    bookings.to_csv(export, index=False)
    n = f"{len(bookings):,}"
    env = {
        **os.environ,
        "CHANNELPERF_DATABASE_URL": pg_url,
        "CHANNELPERF_BASE_CURRENCY": "EUR",
        "CHANNELPERF_REDIS_URL": redis,
    }
    jobs = worker(env)
    try:
        with (
            served_app(pg_url, base_currency="EUR", redis_url=redis) as base,
            browser_page() as page,
        ):
            sign_in(page, base, "admin", "admin-password-1")
            upload(page, base, export)
            page.fill("#admin-upload-yaml", PASTED)
            page.fill("#admin-upload-save-as", "resort-bookings")
            page.click("#admin-upload-save")
            page.wait_for_selector("#admin-upload-message .alert-success", timeout=30_000)
            page.fill("#admin-upload-source", "resort")
            page.click("#admin-upload-dry-run")
            page.wait_for_selector("#admin-upload-dry-run-result", timeout=60_000)
            summary = page.inner_text("#admin-upload-dry-run-result")
            assert f"{n} orders record(s) mapped, 0 row(s) rejected" in summary
            settle(page)
            first = page.locator("#admin-upload-rows .ag-row").first.inner_text()
            assert "resort" in first and "distribution_channel=" in first
            with get_engine().connect() as conn:  # the dry run wrote nothing
                assert conn.execute(select(func.count()).select_from(SalesOrder)).scalar() == 0
            screenshot(page, "admin-upload-dry-run")

            page.click("#admin-upload-load")
            page.wait_for_selector("#admin-upload-status .alert-success", timeout=120_000)
            assert f"read {n}, {n} new" in page.inner_text("#admin-upload-status")
            screenshot(page, "admin-upload-loaded")

            raw = raw_with_channels(export)
            assert loaded("touchpoint") == expected(raw, "touchpoint")
            assert loaded("channel") == expected(raw, "channel")

            upload(page, base, export)  # the same file again, through the saved mapping
            page.select_option("#admin-upload-saved", "resort-bookings")
            page.wait_for_function(
                "() => document.querySelector('#admin-upload-yaml').value.includes('rownames')"
            )
            page.fill("#admin-upload-source", "resort")
            page.click("#admin-upload-load")
            page.wait_for_selector("#admin-upload-status .alert-success", timeout=120_000)
            assert f"{n} unchanged" in page.inner_text("#admin-upload-status")
            assert loaded("touchpoint") == expected(raw, "touchpoint")

            page.context.clear_cookies()
            sign_in(page, base, "planner", "planner-password")
            response = page.goto(f"{base}{PAGE}")
            assert response.status == 403
    finally:
        jobs.terminate()
        jobs.wait(timeout=10)
    with get_engine().connect() as conn:
        actions = conn.execute(select(AuditLog.action, AuditLog.actor)).all()
    assert actions.count(("file.upload", "admin")) == 2
    assert ("file_mapping.save", "admin") in actions


def test_the_page_drafts_a_mapping_from_the_file(pg_url, use_database, tmp_path):
    """The draft `mapping suggest` makes from the shell, from the file dropped on the page; a
    draft asked for before any file says so."""
    use_database(pg_url, base_currency="EUR")
    add_user("admin", "admin-password-1", "admin", system("tests"))
    bookings = hotel_bookings()
    export = tmp_path / "bookings.csv"
    bookings.to_csv(export, index=False)
    with served_app(pg_url, base_currency="EUR") as base, browser_page() as page:
        sign_in(page, base, "admin", "admin-password-1")
        page.goto(f"{base}{PAGE}")
        page.wait_for_selector("#admin-upload-draft", timeout=30_000)
        page.click("#admin-upload-draft")
        page.wait_for_selector("#admin-upload-draft-message .alert-danger", timeout=30_000)
        assert "choose a file first" in page.inner_text("#admin-upload-draft-message")

        upload(page, base, export)
        page.fill("#admin-upload-source", "resort")
        page.click("#admin-upload-draft")
        page.wait_for_function(
            "() => document.querySelector('#admin-upload-yaml').value.includes('kind: orders')",
            timeout=30_000,
        )
        draft = page.input_value("#admin-upload-yaml")
        assert "value: resort" in draft
        assert sum(column in draft for column in bookings.columns) >= 5
        assert page.inner_text("#admin-upload-draft-message") == ""
        screenshot(page, "admin-upload-draft")
