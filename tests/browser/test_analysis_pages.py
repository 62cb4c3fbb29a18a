"""Executives use Trends, Contribution and Targets & variance in a real browser.

Each page: open it, change the period and the channel filter, drill down once by
clicking a chart, export the table as CSV (its totals must match the page),
reload the shared URL (the view must come back) and save a screenshot.
"""

from __future__ import annotations

import csv
import io

import pytest

from tests.browser import browser_page
from tests.browser import choose
from tests.browser import screenshot
from tests.browser import settle
from tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

TOTAL_ROWS = {"All channels", "All in view"}
PAGES = [
    # path, prefix, chart to click, grid, CSV value column, rows that make the total
    ("/trends", "trends", "strength-chart", "grid", "Period value (raw)", ("Metric", "Revenue")),
    ("/contribution", "contribution", "share-chart", "grid", "Revenue", None),
    ("/targets", "targets", "variance-chart", "grid", "Actual (raw)", ("Metric", "Revenue")),
]


def page_total(page, prefix: str) -> float:
    return float(page.get_attribute(f"#{prefix}-total-revenue", "data-value"))


def csv_total(text: str, value_column: str, selector) -> tuple[float, list[dict]]:
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    if selector is not None:
        column, wanted = selector
        picked = [r for r in rows if r[column] == wanted]
    else:
        picked = rows
    picked = [r for r in picked if r.get("Channel") not in TOTAL_ROWS]
    return sum(float(r[value_column] or 0) for r in picked), rows


@pytest.mark.parametrize(("path", "prefix", "chart", "grid", "column", "selector"), PAGES)
def test_executive_filters_drills_exports_and_shares(
    demo_site, path, prefix, chart, grid, column, selector
):
    base, logins = demo_site
    with browser_page() as page:
        sign_in(page, base, "executive", logins["executive"])
        page.goto(base + path)
        page.wait_for_selector(f"#{prefix}-total-revenue", timeout=60_000)
        settle(page)

        choose(page, f"{prefix}-preset", "Last 90 days")
        page.wait_for_function("() => location.search.includes('preset=last_90')", timeout=30_000)
        settle(page)
        choose(page, f"{prefix}-channels", "E-commerce")
        page.wait_for_function("() => location.search.includes('channels=category:ecommerce')")
        settle(page)
        assert "E-commerce" in page.inner_text(f"#{prefix}-{grid}")

        bar = page.locator(f"#{prefix}-{chart} g.point path").first
        bar.click(force=True)
        page.wait_for_function("() => location.search.includes('drill=ecommerce')", timeout=30_000)
        settle(page)
        crumbs = page.inner_text(f"#{prefix}-breadcrumb")
        assert "E-commerce" in crumbs and "touchpoints" in crumbs
        shared = page.url
        total = page_total(page, prefix)
        assert total > 0
        screenshot(page, f"{prefix}-executive-drilled")

        with page.expect_download() as download:
            page.click(f"#{prefix}-{grid}-export")
        text = download.value.path().read_text()
        summed, rows = csv_total(text, column, selector)
        assert summed == pytest.approx(total, abs=0.01)
        channels = {r["Channel"] for r in rows} - TOTAL_ROWS
        assert channels and channels <= {"Web", "Mobile App", "Marketplace"}

        page.goto(shared)
        page.wait_for_selector(f"#{prefix}-total-revenue", timeout=60_000)
        settle(page)
        assert "E-commerce" in page.inner_text(f"#{prefix}-breadcrumb")
        page.wait_for_function(f"() => location.href === {shared!r}", timeout=10_000)
        assert page_total(page, prefix) == pytest.approx(total, abs=0.01)
        assert "Last 90 days" in page.inner_text(f"#{prefix}-preset")
