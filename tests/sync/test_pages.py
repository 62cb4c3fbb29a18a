"""Admin › Channel rules, Quarantine and Sources: role guard, callbacks through the Flask app,
and one real-browser screenshot each (tests/artifacts/admin-*.png)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from dashapp.app import create_app
from db.engine import get_engine
from db.ingestion_tables import Reject
from db.roles import system
from db.schema import AuditLog
from db.users import add_user
from ingestion.quarantine import get_reject, list_rejects
from ingestion.rules import list_rules
from ingestion.sources import add_source
from ingestion.sync import Incoming, Origin, load_page, record_failure
from tests.browser import browser_page, screenshot, served_app, sign_in
from tests.signin import post_callback, sign_in_client
from tests.sync.shop import make_order

pytestmark = pytest.mark.postgres
PASSWORD = "correct-horse"
PAGES = ("/admin/rules", "/admin/rejects", "/admin/sources")


@pytest.fixture
def ingest_db(pg_url, monkeypatch):
    monkeypatch.setenv("CP_PAGES_SHOP_TOKEN", "x")
    add_user("ada", PASSWORD, "admin", system())
    add_user("pat", PASSWORD, "planner", system())
    add_source(
        "shop",
        "shopify",
        "main-store",
        "https://shop.example.com/",
        secret_env="SHOP_TOKEN",
        actor=system(),
    )
    add_source(
        "pos",
        "square",
        "retail",
        "https://connect.squareup.com/",
        poll_interval_seconds=60,
        actor=system(),
    )
    engine = get_engine()
    broken = make_order(3)
    broken["currency"] = "ZZZ"
    truncated = json.dumps(make_order(4)).encode()[:300]
    load_page(
        engine,
        Origin("shopify", "main-store", "orders", "shop"),
        [Incoming(None, make_order(n)) for n in range(3)]
        + [Incoming("3", broken), Incoming("4", truncated)],
    )
    record_failure(
        engine,
        Origin("square", "retail", "orders", "pos"),
        "SourceError: POST https://connect.squareup.com/v2/orders/search failed: HTTP 401",
    )
    return pg_url


@pytest.fixture
def app(ingest_db):
    application = create_app()
    application.server.config["TESTING"] = True
    return application


def _client(app, username: str):
    client = app.server.test_client()
    assert sign_in_client(client, username, PASSWORD).status_code == 302
    client.get("/")
    return client


def _callback(app, output_id: str) -> str:
    return next(key for key in app.callback_map if output_id in key)


def _post(client, app, output_id: str, inputs: list, state: list, changed: str) -> dict:
    key = _callback(app, output_id)
    outputs = [
        {"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
        for part in key.strip(".").split("...")
    ]
    body = {
        "output": key,
        "outputs": outputs,
        "inputs": inputs,
        "state": state,
        "changedPropIds": [changed],
    }
    response = post_callback(client, body)
    assert response.status_code == 200, response.data[:500]
    return response.get_json()["response"]


def test_admin_pages_are_for_admins_only(app):
    admin, planner = _client(app, "ada"), _client(app, "pat")
    for path in PAGES:
        assert admin.get(path).status_code == 200
        assert planner.get(path).status_code == 403


def test_rules_page_adds_a_rule_as_the_signed_in_admin(app):
    client = _client(app, "ada")
    value = lambda i, v: {"id": f"admin-rules-{i}", "property": "value", "value": v}  # noqa: E731
    clicks = [
        {"id": f"admin-rules-{b}", "property": "n_clicks", "value": 1 if b == "add" else None}
        for b in ("add", "save", "disable", "enable", "remap")
    ]
    answer = _post(
        client,
        app,
        "admin-rules-message.children",
        clicks,
        [
            value("priority", 5),
            value("source", "shopify"),
            value("field", "source_name"),
            value("operator", "equals"),
            value("value", "pos"),
            value("touchpoint", "physical_store"),
            value("target", None),
        ],
        "admin-rules-add.n_clicks",
    )
    assert "Added rule" in json.dumps(answer["admin-rules-message"])
    added = [r for r in list_rules() if r.value == "pos"]
    assert len(added) == 1 and added[0].touchpoint == "physical_store"
    assert any(row["value"] == "pos" for row in answer["admin-rules-grid"]["rowData"])
    with get_engine().connect() as conn:
        actor, action = conn.execute(
            select(AuditLog.actor, AuditLog.action).order_by(AuditLog.id.desc()).limit(1)
        ).one()
    assert (actor, action) == ("ada", "channel_rule.add")


def test_rejects_page_discards_the_selected_reject(app):
    client = _client(app, "ada")
    rows = list_rejects()
    assert {r.record_id for r in rows} == {"3", "4"}
    target = next(r for r in rows if r.record_id == "3")
    inputs = [
        {"id": "admin-rejects-status", "property": "value", "value": "quarantined"},
        {"id": "admin-rejects-replay", "property": "n_clicks", "value": None},
        {"id": "admin-rejects-discard", "property": "n_clicks", "value": 1},
    ]
    state = [
        {"id": "admin-rejects-grid", "property": "selectedRows", "value": [{"id": target.id}]},
        {"id": "admin-rejects-reason", "property": "value", "value": "test order"},
    ]
    answer = _post(
        client,
        app,
        "admin-rejects-message.children",
        inputs,
        state,
        "admin-rejects-discard.n_clicks",
    )
    assert "Discarded 1" in json.dumps(answer["admin-rejects-message"])
    assert [row["record"] for row in answer["admin-rejects-grid"]["rowData"]] == ["4"]
    assert get_reject(target.id).info.status == "discarded"
    with get_engine().connect() as conn:
        quarantined = conn.execute(
            select(func.count()).select_from(Reject).where(Reject.status == "quarantined")
        ).scalar()
    assert quarantined == 1


def test_sources_page_shows_status_per_source(app):
    client = _client(app, "ada")
    answer = _post(
        client,
        app,
        "admin-sources-grid.rowData",
        [
            {"id": "admin-sources-refresh", "property": "n_intervals", "value": 1},
            {"id": "admin-sources-sync", "property": "n_clicks", "value": None},
        ],
        [{"id": "admin-sources-target", "property": "value", "value": None}],
        "admin-sources-refresh.n_intervals",
    )
    rows = {row["kind"]: row for row in answer["admin-sources-grid"]["rowData"]}
    assert rows["shopify"]["rows"] == 5 and rows["shopify"]["rejects"] == 2
    assert rows["shopify"]["last_success"] != "never" and rows["shopify"]["error"] == ""
    assert rows["square"]["last_success"] == "never"
    assert "HTTP 401" in rows["square"]["error"]
    assert answer["admin-sources-as-of"]["children"].startswith("Data as of")


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
        assert page.inner_text("#admin-sources-as-of").startswith("Data as of")
        screenshot(page, "admin-sources")
