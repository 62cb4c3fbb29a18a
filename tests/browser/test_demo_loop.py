"""The demo shows the whole loop: after the demo's own setup commands (``make demo``'s steps, on a
small data set in a fresh database) the Sources page lists the demo's sources with their last
sync and rows, the default alert rules exist once however often they are added, the Alerts page
lists alerts they raised with the root-cause workflow, no step prints a traceback or a warning,
and no page shows any role a link it cannot open."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func
from sqlalchemy import select

from analytics.alerts.defaults import DEFAULT_RULES
from analytics.alerts.defaults import ensure_default_rules
from analytics.alerts.rules import list_rules
from db.alert_tables import Alert
from db.engine import get_engine
from db.roles import system
from db.schema import AuditLog
from db.schema import IngestRun
from db.schema import SalesOrder
from db.settings import get_settings
from db.users import demo_password
from ingestion.demo.sources import DEMO_SOURCES
from ingestion.sync_status import source_status
from tests.browser import browser_page
from tests.browser import screenshot
from tests.browser import served_app
from tests.browser import settle
from tests.browser import sign_in
from tests.conftest import create_database
from tests.conftest import drop_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
END = "2026-06-30"
DEMO_STEPS = (
    ("db", "upgrade"),
    ("demo-data", "--orders", "4000", "--years", "1", "--end", END),
    ("users", "demo"),
    ("validate",),
    ("alerts", "defaults"),
    ("alerts", "defaults"),
    ("alerts", "evaluate"),
)
ROLES_BELOW_ADMIN = ("executive", "planner", "scientist")
CATEGORIES = 4  # the demo's channel categories, Unassigned aside


@dataclass
class DemoLoop:
    url: str
    outputs: dict[tuple[str, ...], str]


@pytest.fixture(scope="module")
def demo_loop() -> Iterator[DemoLoop]:
    """A fresh database set up by the demo's commands, each run as ``make demo`` runs it."""
    url = create_database("cp_demo_loop")
    environment = {**os.environ, "CHANNELPERF_DATABASE_URL": url}
    for unset in ("CHANNELPERF_REDIS_URL", "PYTHONWARNINGS"):  # as `make demo` runs them
        environment.pop(unset, None)
    outputs = {}
    for step in DEMO_STEPS:
        done = subprocess.run(
            [sys.executable, "-m", "cli.main", *step],
            env=environment,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, (step, output[-3000:])
        outputs[step] = outputs.get(step, "") + output
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CHANNELPERF_DATABASE_URL", url)
        get_settings.cache_clear()
        yield DemoLoop(url, outputs)
    get_settings.cache_clear()
    drop_database(url)


def test_the_demo_steps_print_no_traceback_and_no_warning(demo_loop):
    for step, output in demo_loop.outputs.items():
        for noise in ("Traceback", "Warning", "WARNING", "warn("):
            assert noise not in output, (step, output[-3000:])


def test_the_demo_sources_show_their_last_sync_lag_and_rows(demo_loop):
    statuses = {s.name: s for s in source_status()}
    assert set(statuses) == {s.name for s in DEMO_SOURCES}
    runs, orders = IngestRun.__table__, SalesOrder.__table__
    with get_engine().connect() as conn:
        read = dict(
            conn.execute(
                select(runs.c.source_system, func.sum(runs.c.read)).group_by(runs.c.source_system)
            ).all()
        )
        loaded = dict(
            conn.execute(
                select(orders.c.source_system, func.count()).group_by(orders.c.source_system)
            ).all()
        )
    for source in DEMO_SOURCES:
        status = statuses[source.name]
        assert (status.kind, status.instance) == (source.kind, source.instance)
        assert status.last_success is not None and status.lag is not None
        assert status.rows_24h == read[source.kind] > 0  # every run of the demo is today's
        assert status.last_error is None and not status.enabled
    # Each order source's runs read exactly the orders it loaded (none were quarantined).
    assert {s: read[s] for s in loaded} == loaded


def test_default_rules_exist_once_whatever_how_often_they_are_added(demo_loop):
    first, second = demo_loop.outputs[("alerts", "defaults")].split("Default alert rules:")[1:]
    expected = CATEGORIES * len(DEFAULT_RULES)
    assert first.startswith(f" {expected} added, 0 already present")
    assert second.startswith(f" 0 added, {expected} already present")
    rules = list_rules()
    assert len(rules) == expected
    assert {(r.kind, r.metric) for r in rules} == {(d.kind, d.metric) for d in DEFAULT_RULES}
    assert "unassigned" not in {r.scope_code for r in rules}
    with get_engine().connect() as conn:
        audited = select(func.count()).where(AuditLog.action == "alert_rule.create")
        before = conn.execute(audited).scalar_one()
    again = ensure_default_rules(system("tests"))
    assert (again.created, again.present) == ([], expected)
    with get_engine().connect() as conn:
        assert conn.execute(audited).scalar_one() == before == expected


def _raised_by_default_rules() -> list:
    alerts = Alert.__table__
    with get_engine().connect() as conn:
        return conn.execute(select(alerts.c.id, alerts.c.rule_id, alerts.c.message)).all()


@pytest.mark.browser
def test_alerts_page_lists_what_the_default_rules_raised_with_the_root_cause_workflow(demo_loop):
    raised = _raised_by_default_rules()
    defaults = {r.id: r for r in list_rules()}
    assert raised and {a.rule_id for a in raised} <= set(defaults)
    with served_app(demo_loop.url) as base, browser_page() as page:
        sign_in(page, base, "admin", demo_password("admin"))
        page.goto(f"{base}/admin/sources")
        page.wait_for_selector("#admin-sources-grid .ag-row")
        rows = page.locator("#admin-sources-grid .ag-row").all_inner_texts()
        for source in DEMO_SOURCES:
            (row,) = [r for r in rows if r.startswith(f"{source.name} (disabled)")]
            assert source.instance in row and "never" not in row
        screenshot(page, "demo-sources")

        page.goto(f"{base}/logout")
        sign_in(page, base, "planner", demo_password("planner"))
        page.goto(f"{base}/alerts")
        page.wait_for_selector("#alerts-grid .ag-row", timeout=60_000)
        settle(page)
        listed = page.locator("#alerts-grid .ag-row").all_inner_texts()
        assert any(rule.name in row for row in listed for rule in defaults.values()), listed
        latest = max(raised, key=lambda a: a.id)
        page.goto(f"{base}/alerts?alert={latest.id}")
        page.wait_for_selector("#alerts-detail-title", timeout=60_000)
        page.wait_for_selector("#alerts-rca-section", state="visible", timeout=60_000)
        title = page.inner_text("#alerts-detail-title")
        assert title == f"#{latest.id} · {defaults[latest.rule_id].name}"
        assert latest.message in page.inner_text("#alerts-detail")
        screenshot(page, "demo-alerts")


def _links(page, base: str, open_menus: bool) -> set[str]:
    """The same-site paths every link on the page points at, the navigation menus opened first
    if ``open_menus`` (the navigation is the same on every page of a role: opened once)."""
    for toggle in page.locator("#nav-links .dropdown-toggle").all() if open_menus else []:
        toggle.click()
        page.wait_for_timeout(200)
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    return {
        urlsplit(h).path + (f"?{urlsplit(h).query}" if urlsplit(h).query else "")
        for h in hrefs
        if h.startswith(base)
    }


@pytest.mark.browser
def test_no_page_shows_a_link_its_role_cannot_open(demo_loop):
    with served_app(demo_loop.url) as base, browser_page() as page:
        for role in ROLES_BELOW_ADMIN:  # an admin may open every page
            sign_in(page, base, role, demo_password(role))
            seen, queue, checked = set(), ["/"], {}
            while queue:
                path = queue.pop()
                if path in seen:
                    continue
                seen.add(path)
                assert page.goto(f"{base}{path}").status == 200, (role, path)
                settle(page)
                assert "Page not found" not in page.inner_text("body"), (role, path)
                for link in _links(page, base, open_menus=path == "/") - set(checked) - {"/logout"}:
                    checked[link] = page.request.get(f"{base}{link}").status
                    target = urlsplit(link).path
                    if checked[link] == 200 and target not in seen:
                        queue.append(target)
            refused = {link: status for link, status in checked.items() if status != 200}
            assert not refused, (role, refused)
            assert len(seen) > 3, (role, seen)
            page.goto(f"{base}/logout")
