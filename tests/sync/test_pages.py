"""Admin › Channel rules, Quarantine and Sources: role guard and callbacks through the Flask app
(the pages in a real browser: tests/browser/test_admin_ingestion.py)."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import pytest
from sqlalchemy import func
from sqlalchemy import select

from dashapp.app import create_app
from db.engine import get_engine
from db.ingestion_tables import Reject
from db.jobs import get_queue
from db.roles import system
from db.schema import AuditLog
from db.settings import get_settings
from ingestion.quarantine import get_reject
from ingestion.quarantine import list_rejects
from ingestion.queues import source_queue
from ingestion.rules import list_rules
from ingestion.runs import utcnow
from ingestion.sources import edit_source
from ingestion.sources import find_source
from ingestion.sources import list_sources
from ingestion.sync.pushes import PUSH_JOB
from ingestion.sync_status import ingest_backlog
from tests.signin import post_callback
from tests.signin import sign_in_client
from tests.sync.pages_world import PASSWORD
from tests.sync.shop import ORDERS_PATH
from tests.sync.shop import TOKEN
from tests.sync.shop import FakeShop
from tests.sync.shop import make_order

pytestmark = pytest.mark.postgres
PAGES = ("/admin/rules", "/admin/rejects", "/admin/sources")


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
    if not key.startswith(".."):  # a callback of one output
        (outputs,) = outputs
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
        for b in ("add", "save", "disable", "enable", "remap-confirm")
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
        {"id": "admin-rejects-discard-confirm", "property": "n_clicks", "value": 1},
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
        "admin-rejects-discard-confirm.n_clicks",
    )
    assert "Discarded 1" in json.dumps(answer["admin-rejects-message"])
    assert [row["record"] for row in answer["admin-rejects-grid"]["rowData"]] == ["4"]
    assert get_reject(target.id).info.status == "discarded"
    with get_engine().connect() as conn:
        quarantined = conn.execute(
            select(func.count()).select_from(Reject).where(Reject.status == "quarantined")
        ).scalar()
    assert quarantined == 1


def _sources_refresh(client, app, trigger: str, changed=None, acted=None) -> dict:
    """The Sources page's refresh callback (grid, message), as the browser sends it when its
    ``trigger`` (refresh, changed or acted) fires."""
    inputs = [
        {"id": "admin-sources-refresh", "property": "n_intervals", "value": 1},
        {"id": "admin-sources-changed", "property": "data", "value": changed},
        {"id": "admin-sources-acted", "property": "data", "value": acted},
    ]
    fired = f"admin-sources-{trigger}.{'n_intervals' if trigger == 'refresh' else 'data'}"
    return _post(client, app, "admin-sources-grid.rowData", inputs, [], fired)


def _sources_action(client, app, trigger: str, target: str | None, changed=None) -> dict:
    """What the page shows after ``trigger``: a button's command (the page's ``act`` callback,
    whose result the refresh callback then shows), or a refresh."""
    if trigger not in ("sync", "enable", "disable"):
        return _sources_refresh(client, app, trigger, changed=changed)
    inputs = [
        {"id": f"admin-sources-{b}", "property": "n_clicks", "value": 1 if b == trigger else None}
        for b in ("sync", "enable", "disable")
    ]
    state = [{"id": "admin-sources-target", "property": "value", "value": target}]
    fired = f"admin-sources-{trigger}.n_clicks"
    acted = _post(client, app, "admin-sources-acted.data", inputs, state, fired)
    return _sources_refresh(client, app, "acted", acted=acted["admin-sources-acted"]["data"])


FORM_FIELDS = (
    "name",
    "kind",
    "instance",
    "base-url",
    "secret-env",
    "webhook-env",
    "interval",
    "enabled",
)


ADDING = {"edit": None}  # the form-mode store as the page first writes it


def _sources_form(client, app, trigger: str, target: str | None, mode=ADDING, **values) -> dict:
    """The Sources page's add / edit form callback, with the form's fields as given (``mode``:
    what the page's form-mode store holds)."""
    inputs = [
        {"id": f"admin-sources-{b}", "property": "n_clicks", "value": 1 if b == trigger else None}
        for b in ("new", "edit", "form-save", "form-cancel")
    ]
    state = [
        {"id": "admin-sources-target", "property": "value", "value": target},
        {"id": "admin-sources-form-mode", "property": "data", "value": mode},
    ]
    state += [
        {
            "id": f"admin-sources-form-{f}",
            "property": "value",
            "value": values.get(f.replace("-", "_")),
        }
        for f in FORM_FIELDS
    ]
    changed = f"admin-sources-{trigger}.n_clicks"
    return _post(client, app, "admin-sources-form.is_open", inputs, state, changed)


def _last_audit() -> tuple:
    with get_engine().connect() as conn:
        return conn.execute(
            select(AuditLog.actor, AuditLog.action, AuditLog.after)
            .order_by(AuditLog.id.desc())
            .limit(1)
        ).one()


def test_sources_page_adds_a_source_through_its_form(app):
    client = _client(app, "ada")
    opened = _sources_form(client, app, "new", None)
    assert opened["admin-sources-form"]["is_open"] is True
    assert opened["admin-sources-form-mode"]["data"] == {"edit": None}
    assert opened["admin-sources-form-interval"]["value"] == 300
    settings = {
        "name": "erp",
        "kind": "sap",
        "instance": "S4H-200",
        "base_url": "https://s4h.example.com/",
        "secret_env": "SAP_TOKEN",
        "interval": 600,
        "enabled": True,
    }
    bad = _sources_form(
        client, app, "form-save", None, {"edit": None}, **{**settings, "secret_env": "hunter2"}
    )
    assert bad["admin-sources-form"]["is_open"] is True
    assert "NAME of an environment variable" in json.dumps(bad["admin-sources-form-message"])
    assert "erp" not in {s.name for s in list_sources()}
    saved = _sources_form(client, app, "form-save", None, {"edit": None}, **settings)
    assert saved["admin-sources-form"]["is_open"] is False
    assert saved["admin-sources-changed"]["data"]["ok"] is True
    erp = find_source("erp")
    assert (erp.kind, erp.instance, erp.secret_env, erp.poll_interval_seconds) == (
        "sap",
        "S4H-200",
        "SAP_TOKEN",
        600,
    )
    assert _last_audit()[:2] == ("ada", "source.add")
    shown = _sources_action(client, app, "changed", None, saved["admin-sources-changed"]["data"])
    assert "Added source erp" in json.dumps(shown["admin-sources-message"])
    assert "erp" in {row["name"] for row in shown["admin-sources-grid"]["rowData"]}


def test_sources_page_edits_the_chosen_source(app):
    client = _client(app, "ada")
    refused = _sources_form(client, app, "edit", None)
    assert refused["admin-sources-changed"]["data"]["ok"] is False
    opened = _sources_form(client, app, "edit", "shop")
    assert opened["admin-sources-form-mode"]["data"] == {"edit": "shop"}
    assert opened["admin-sources-form-name"]["disabled"] is True
    assert opened["admin-sources-form-secret-env"]["value"] == "SHOP_TOKEN"
    values = {
        "name": "shop",
        "kind": "shopify",
        "instance": "main-store",
        "base_url": "https://eu.shop.example.com/",
        "secret_env": "SHOP_TOKEN",
        "interval": 120,
        "enabled": True,
    }
    too_fast = _sources_form(
        client, app, "form-save", "shop", {"edit": "shop"}, **{**values, "interval": 2}
    )
    assert "between 5 and" in json.dumps(too_fast["admin-sources-form-message"])
    assert find_source("shop").poll_interval_seconds == 300
    saved = _sources_form(client, app, "form-save", "shop", {"edit": "shop"}, **values)
    assert saved["admin-sources-form"]["is_open"] is False
    shop = find_source("shop")
    assert (shop.base_url, shop.poll_interval_seconds) == ("https://eu.shop.example.com/", 120)
    actor, action, after = _last_audit()
    assert (actor, action) == ("ada", "source.edit")
    assert after == {"base_url": "https://eu.shop.example.com/", "poll_interval_seconds": 120}


def test_sources_page_disables_and_enables_the_chosen_source(app):
    client = _client(app, "ada")
    answer = _sources_action(client, app, "disable", "pos")
    assert "pos disabled" in json.dumps(answer["admin-sources-message"])
    assert not find_source("pos").enabled
    names = {row["name"] for row in answer["admin-sources-grid"]["rowData"]}
    assert "pos (disabled)" in names
    assert _last_audit()[:2] == ("ada", "source.disable")
    answer = _sources_action(client, app, "enable", "pos")
    assert find_source("pos").enabled and _last_audit()[:2] == ("ada", "source.enable")
    answer = _sources_action(client, app, "enable", None)
    assert "choose a source first" in json.dumps(answer["admin-sources-message"])


def test_sources_page_shows_status_per_source(app):
    client = _client(app, "ada")
    answer = _sources_action(client, app, "refresh", None)
    rows = {row["kind"]: row for row in answer["admin-sources-grid"]["rowData"]}
    assert rows["shopify"]["rows"] == 5 and rows["shopify"]["rejects"] == 2
    assert rows["shopify"]["last_success"] != "never" and rows["shopify"]["error"] == ""
    assert rows["square"]["last_success"] == "never"
    assert "HTTP 401" in rows["square"]["error"]
    assert answer["admin-sources-as-of"]["children"].startswith("Data as of")


@pytest.mark.redis
def test_sources_page_shows_what_waits_for_each_source(app, redis_url, monkeypatch):
    base = f"cp-backlog-test-{uuid.uuid4().hex[:8]}"
    app.server.config["INGEST_QUEUE"] = base
    monkeypatch.setenv("CHANNELPERF_REDIS_URL", redis_url)
    get_settings.cache_clear()
    names = [s.name for s in list_sources()]
    shop = next(s.name for s in list_sources() if s.kind == "shopify")
    shared = get_queue(base)
    own = {name: get_queue(source_queue(name, base)) for name in names}
    try:
        client = _client(app, "ada")
        answer = _sources_action(client, app, "refresh", None)
        as_of = answer["admin-sources-as-of"]["children"]
        assert as_of.startswith("Data as of") and "wait" not in as_of
        assert {row["queued"] for row in answer["admin-sources-grid"]["rowData"]} == {""}

        for n in range(2):
            own[shop].enqueue(PUSH_JOB, shop, json.dumps(make_order(n)).encode())
        shared.enqueue(PUSH_JOB, shop, b"{}")  # queued before queues were per source
        answer = _sources_action(client, app, "refresh", None)
        queued = {row["kind"]: row["queued"] for row in answer["admin-sources-grid"]["rowData"]}
        assert re.fullmatch(r"2 · \d+ s", queued.pop("shopify"))
        assert set(queued.values()) == {""}
        as_of = answer["admin-sources-as-of"]["children"]
        assert "3 jobs wait for the ingest worker" in as_of
        assert re.search(r"the first queued \d+ s ago\.$", as_of)
        per_source, backlog = ingest_backlog(names, base, now=utcnow() + dt.timedelta(minutes=5))
        assert per_source[shop].waiting == 2 and backlog.waiting == 3
        assert dt.timedelta(minutes=5) <= per_source[shop].oldest_wait < dt.timedelta(minutes=6)
        assert per_source[shop].cell() == "2 · 5 min"

        monkeypatch.setenv("CHANNELPERF_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens
        get_settings.cache_clear()
        answer = _sources_action(client, app, "refresh", None)
        assert "The job queue (Redis) cannot be read" in answer["admin-sources-as-of"]["children"]
        assert {row["queued"] for row in answer["admin-sources-grid"]["rowData"]} == {""}
    finally:
        for queue in (shared, *own.values()):
            queue.delete(delete_jobs=True)
        get_settings.cache_clear()


def test_sync_now_runs_here_without_redis_and_says_what_it_loaded(app, httpserver, monkeypatch):
    monkeypatch.setenv("SHOP_TOKEN", TOKEN)
    edit_source("shop", {"base_url": httpserver.url_for("/")}, actor=system())
    httpserver.expect_request(ORDERS_PATH).respond_with_handler(
        FakeShop([make_order(n) for n in range(10, 15)])
    )
    client = _client(app, "ada")
    answer = _sources_action(client, app, "sync", "shop")
    said = json.dumps(answer["admin-sources-message"])
    assert "Sync of shop done: 5 read, 5 new, 0 updated, 0 unchanged, 0 rejected." in said
    actor, action, after = _last_audit()
    assert (actor, action) == ("ada", "source.sync")
    assert after == {"read": 5, "new": 5, "updated": 0, "unchanged": 0, "rejected": 0}
    assert "admin-sources-message" not in _sources_action(client, app, "refresh", None)


@pytest.mark.redis
def test_sync_now_queues_once_and_says_when_no_worker_listens(app, redis_url, monkeypatch):
    monkeypatch.setenv("CHANNELPERF_REDIS_URL", redis_url)
    get_settings.cache_clear()
    queue = get_queue(source_queue("shop"))
    queue.delete(delete_jobs=True)
    try:
        client = _client(app, "ada")
        first = json.dumps(_sources_action(client, app, "sync", "shop")["admin-sources-message"])
        (job_id,) = queue.get_job_ids()
        assert f"Sync of shop queued (job {job_id})" in first
        assert "No ingest worker listens on its queue" in first
        actor, action, after = _last_audit()
        assert (actor, action, after) == ("ada", "source.sync", {"job": job_id})
        again = json.dumps(_sources_action(client, app, "sync", "shop")["admin-sources-message"])
        assert f"a sync of shop is already queued or running (job {job_id})" in again
        assert queue.get_job_ids() == [job_id]
    finally:
        queue.delete(delete_jobs=True)
        get_settings.cache_clear()
