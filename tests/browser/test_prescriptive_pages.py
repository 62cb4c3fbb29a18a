"""Attribution, Pricing and Budget, and the Overview's recommended actions, in a real browser.

Each role sees only what it may: an executive gets no link to, no navigation entry for and the
framed "no access" page at the planners' pages; a planner uses them. The numbers on each page
(its CSV exports and data attributes) equal the analytics functions' on the same inputs; bad
input gets a dismissible message; a planner's applied budget plan is written, audited and listed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from analytics.budget.plans import active_plan
from analytics.budget.plans import plan_versions
from analytics.decisions import build_decisions
from analytics.periods import Period
from analytics.rollup import Filters
from analytics.views.attribution import attribution_slice
from analytics.views.attribution import build_attribution
from analytics.views.budget import build_budget
from analytics.views.budget import build_whatif
from analytics.views.pricing import build_pricing
from db.engine import get_engine
from db.schema import AuditLog
from tests.browser import browser_page
from tests.browser import choose
from tests.browser import screenshot
from tests.browser import settle
from tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

END = dt.date(2026, 6, 30)
QUARTER = Period(dt.date(2026, 4, 1), END)  # "This quarter (to date)" on the demo data
YEAR = Period(dt.date(2025, 7, 1), END)  # "Last 12 months"
PLANNERS_PAGES = ("/attribution", "/pricing", "/budget")


def exported(page, grid_id: str) -> list[dict]:
    with page.expect_download() as download:
        page.click(f"#{grid_id}-export")
    text = download.value.path().read_text()
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def number(text: str) -> float:
    return float(text) if text not in ("", None) else float("nan")


def alert_text(page, container: str) -> str:
    page.wait_for_selector(f"#{container} .alert", timeout=30_000)
    assert page.locator(f"#{container} .alert .btn-close").count() == 1  # dismissible
    return page.inner_text(f"#{container} .alert")


def test_planner_compares_attribution_models_drills_and_explores_paths(demo_site, demo):
    base, logins = demo_site
    expected = build_attribution(QUARTER, order=2)
    with browser_page() as page:
        sign_in(page, base, "planner", logins["planner"])
        page.goto(f"{base}/attribution?order=2")
        page.wait_for_selector("#attribution-shown", timeout=60_000)
        settle(page)
        assert float(page.get_attribute("#attribution-shown", "data-total")) == expected.converted

        top = attribution_slice(expected, "category", Filters()).comparison
        rows = exported(page, "attribution-grid")
        assert len(rows) == len(top)
        for row, want in zip(rows, top.itertuples(), strict=True):
            assert (row["Model"], row["Channel"]) == (want.model_label, want.channel_name)
            assert number(row["Conversions"]) == pytest.approx(want.conversions)
            assert number(row["Value"]) == pytest.approx(want.value)
            assert number(row["Δ value vs last touch"]) == pytest.approx(want.value_difference)
        for model in {r["Model"] for r in rows}:  # every model credits every conversion
            credited = sum(number(r["Conversions"]) for r in rows if r["Model"] == model)
            assert credited == pytest.approx(expected.converted)

        page.locator("#attribution-credit-chart g.point path").first.click(force=True)
        page.wait_for_function("() => location.search.includes('drill=ecommerce')", timeout=30_000)
        settle(page)
        crumbs = page.inner_text("#attribution-breadcrumb")
        assert "E-commerce" in crumbs and "Deepest level: touchpoints" in crumbs
        page.wait_for_selector("#attribution-paths-chart .main-svg")
        screenshot(page, "attribution-planner-drilled")
        narrowed = attribution_slice(expected, "touchpoint", Filters(categories=("ecommerce",)))
        rows = exported(page, "attribution-grid")
        assert {r["Channel"] for r in rows} == set(narrowed.comparison["channel_name"])
        paths = exported(page, "attribution-paths-grid")
        assert [r["Path (first touch → last)"] for r in paths] == list(narrowed.paths["path"])
        assert [number(r["Journeys"]) for r in paths] == list(narrowed.paths["journeys"])

        choose(page, "attribution-order", "1st order")
        page.wait_for_function("() => location.search.includes('order=1')", timeout=30_000)
        settle(page)
        first_order = attribution_slice(
            build_attribution(QUARTER, order=1), "touchpoint", Filters(categories=("ecommerce",))
        ).comparison
        markov = {r["Channel"]: number(r["Conversions"]) for r in exported(page, "attribution-grid")
                  if r["Model"] == "Markov chain"}  # fmt: skip
        want = first_order[first_order["model"] == "markov"]
        assert markov == pytest.approx(
            dict(zip(want["channel_name"], want["conversions"], strict=True))
        )

        shared = page.url
        page.goto(shared)
        page.wait_for_selector("#attribution-shown", timeout=60_000)
        settle(page)
        assert "E-commerce" in page.inner_text("#attribution-breadcrumb")
        assert "1st order" in page.inner_text("#attribution-order")


def test_planner_reads_elasticities_and_sets_a_volume_floor(demo_site, demo):
    base, logins = demo_site
    expected = build_pricing(YEAR).channels.set_index("channel_name")
    with browser_page() as page:
        sign_in(page, base, "planner", logins["planner"])
        page.goto(f"{base}/pricing")
        page.wait_for_selector("#pricing-grid .ag-row", timeout=90_000)
        settle(page)
        screenshot(page, "pricing-planner")
        rows = {r["Channel"]: r for r in exported(page, "pricing-grid")}
        assert set(rows) == set(expected.index)
        for name, row in rows.items():
            want = expected.loc[name]
            assert row["Method"] == want["method"] and int(row["n (observations)"]) == want["n"]
            for header, field in (("Elasticity", "elasticity"), ("95 % low", "ci_low"),
                                  ("95 % high", "ci_high"), ("Price change", "price_change"),
                                  ("Δ margin", "margin_change")):  # fmt: skip
                assert number(row[header]) == pytest.approx(want[field], nan_ok=True)
            if want["actionable"]:
                move = "Raise" if want["price_change"] > 0 else "Lower"
                assert row["Action"] == move
            else:
                assert row["Action"] == "Hold"
        assert any(r["Action"] != "Hold" for r in rows.values())
        # The chart draws each estimate with its 95 % interval as error bars.
        drawn = page.evaluate(
            "() => document.querySelector('#pricing-channel-chart .js-plotly-plot').data"
            ".map(t => [t.y, t.x, t.error_x.array, t.error_x.arrayminus])"
        )
        estimated = expected.dropna(subset=["elasticity"])
        points = {y: (x, up, down) for t in drawn for y, x, up, down in zip(*t, strict=True)}
        assert set(points) == set(estimated.index)
        for name, (x, up, down) in points.items():
            assert x + up == pytest.approx(estimated.at[name, "ci_high"])
            assert x - down == pytest.approx(estimated.at[name, "ci_low"])
        uncertain = expected[expected["warning"].fillna("") != ""].index
        banner = page.inner_text("#pricing-uncertain")
        assert all(name in banner for name in uncertain)

        page.fill("#pricing-floor", "150")
        page.press("#pricing-floor", "Enter")
        assert "between 1 and 100" in alert_text(page, "pricing-message")
        page.fill("#pricing-floor", "80")
        page.press("#pricing-floor", "Enter")
        page.wait_for_selector("#pricing-message .alert", state="detached", timeout=30_000)
        settle(page)
        lower = build_pricing(YEAR, volume_floor=0.8).channels.set_index("channel_name")
        rows = {r["Channel"]: r for r in exported(page, "pricing-grid")}
        for name, row in rows.items():
            assert number(row["Δ margin"]) == pytest.approx(
                lower.at[name, "margin_change"], nan_ok=True
            )


def slider(channel: str) -> str:
    return f"""[id='{{"channel":"{channel}","type":"budget-whatif"}}'] input"""


def test_planner_splits_the_budget_tries_a_split_and_applies_it(demo_site, demo):
    base, logins = demo_site
    view = build_budget()
    allocation = view.proposal.allocation
    with browser_page() as page:
        sign_in(page, base, "planner", logins["planner"])
        page.goto(f"{base}/budget")
        page.wait_for_selector("#budget-uplift [data-uplift]", timeout=90_000)
        settle(page)
        shown = page.locator("#budget-uplift [data-uplift]")
        assert float(shown.get_attribute("data-uplift")) == pytest.approx(allocation.uplift)
        split = {r["Channel"]: number(r["Proposed"]) for r in exported(page, "budget-split-grid")}
        assert split == pytest.approx(
            dict(zip(view.split["channel_name"], allocation.proposed, strict=True))
        )

        first, second = allocation.channels[:2]
        minimum = f"""[id='{{"channel":"{first}","type":"budget-min"}}']"""
        page.fill(minimum, "-5")
        page.press(minimum, "Enter")
        page.click("#budget-optimise")
        assert "non-negative" in alert_text(page, "budget-message")
        page.fill(minimum, "")
        page.press(minimum, "Enter")
        page.fill("#budget-total", "100")
        page.click("#budget-optimise")
        page.wait_for_selector("#budget-message .alert", state="detached", timeout=30_000)
        settle(page)
        hundred = float(page.get_attribute("#budget-uplift [data-uplift]", "data-total"))
        assert hundred == pytest.approx(100.0)
        page.fill("#budget-total", "")
        page.click("#budget-optimise")
        page.wait_for_function(
            "() => Math.abs(document.querySelector('#budget-uplift [data-uplift]')"
            f".dataset.total - {allocation.total}) < 0.01",
            timeout=30_000,
        )
        settle(page)

        amounts = dict(zip(allocation.channels, allocation.proposed.round(2), strict=True))
        amounts[first], amounts[second] = 120.0, 80.0
        for channel in (first, second):
            page.fill(slider(channel), str(amounts[channel]))
            page.press(slider(channel), "Tab")  # the box commits its value on leaving it
            settle(page)
        screenshot(page, "budget-planner-whatif")
        whatif = build_whatif(amounts)
        projected = {r["Channel"]: r for r in exported(page, "budget-whatif-grid")}
        for row in whatif.projection.itertuples():
            assert number(projected[row.channel_name]["Budget"]) == pytest.approx(row.spend)
            assert number(projected[row.channel_name]["Revenue"]) == pytest.approx(row.revenue)
            assert number(projected[row.channel_name]["ROAS"]) == pytest.approx(
                row.roas, nan_ok=True
            )

        page.click("#budget-apply")
        page.wait_for_selector("#budget-applied", timeout=30_000)
        version = int(page.inner_text("#budget-applied").split("version ")[1].split()[0])
        settle(page)
        screenshot(page, "budget-planner-applied")
        versions = exported(page, "budget-versions-grid")
        assert versions[0]["Version"] == str(version) and versions[0]["By"] == "planner"
        assert versions[0]["Status"] == "active"

    assert plan_versions().iloc[0]["version"] == version
    lines = active_plan().set_index("channel")["amount"].astype(float)
    assert lines.to_dict() == pytest.approx(amounts, abs=0.011)
    with get_engine().connect() as conn:
        entry = conn.execute(
            select(AuditLog.actor, AuditLog.action, AuditLog.after)
            .where(AuditLog.action == "budget.apply")
            .order_by(AuditLog.id.desc())
        ).first()
    assert entry.actor == "planner" and entry.after["version"] == version


def test_each_role_sees_the_actions_and_only_the_pages_it_may_open(demo_site, demo):
    base, logins = demo_site
    decisions = build_decisions(END, role="executive")
    assert decisions.decisions, decisions.not_recommended
    executive_pages = {"/alerts"}
    with browser_page() as page:
        sign_in(page, base, "executive", logins["executive"])
        page.wait_for_selector("#overview-decisions-card", timeout=90_000)
        settle(page)
        assert page.locator("#overview-card-new-customers").is_visible()
        for rank, decision in enumerate(decisions.decisions, start=1):
            item = f"#overview-decision-{rank}"
            assert page.inner_text(f"{item}-title") == decision.title
            shown = float(page.get_attribute(f"{item}-effect", "data-value"))
            assert shown == pytest.approx(decision.effect)
            if decision.page in executive_pages:
                assert page.get_attribute(f"{item}-link", "href") == decision.page
            else:
                assert page.locator(f"{item}-link").count() == 0
                assert "planner" in page.inner_text(f"{item}-who").lower()
        page.click("#overview-why-not summary")
        reasons = page.locator("#overview-why-not li").all_inner_texts()
        assert len(reasons) == len(decisions.not_recommended)
        assert page.locator("#nav-planning").count() == 0
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.pathname)")
        assert not set(hrefs) & {*PLANNERS_PAGES, "/inventory", "/forecasts"}
        screenshot(page, "overview-executive-decisions")
        for path in PLANNERS_PAGES:
            assert page.goto(f"{base}{path}").status == 403
            page.wait_for_selector("#forbidden-page")
            assert page.locator(f"[id^='{path.strip('/')}-']").count() == 0
        screenshot(page, "forbidden-executive-budget")
        page.click("#nav-logout")
        page.wait_for_url("**/login")

        sign_in(page, base, "planner", logins["planner"])
        page.wait_for_selector("#overview-decisions-card", timeout=90_000)
        page.click("#nav-planning")
        menu = page.locator("#nav-planning .dropdown-item").all_inner_texts()
        assert [t.strip() for t in menu] == [
            "Forecasts", "Inventory", "Attribution", "Pricing", "Budget"
        ]  # fmt: skip
        screenshot(page, "overview-planner-planning-menu")
        page.keyboard.press("Escape")
        for rank, decision in enumerate(decisions.decisions, start=1):
            assert page.get_attribute(f"#overview-decision-{rank}-link", "href") == decision.page
        screenshot(page, "overview-planner-decisions")
