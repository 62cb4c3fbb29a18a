"""Behind a broken guard, a page's change still stops at its command.

Each page callback that changes something is called directly, as the guard would never let
it be called: by a signed-in user whose role is below the command's. The page answers with
its dismissible error alert carrying the command's reason, never an exception (a 500), and
nothing in the database changes.
"""

from __future__ import annotations

import base64
import inspect
import sys
from operator import attrgetter

import dash
import dash_bootstrap_components as dbc
import pytest
from dash._callback_context import context_value
from dash._utils import AttributeDict
from flask_login import login_user

from dashapp.app import create_app
from dashapp.auth import SessionUser
from db.users import UserInfo
from tests.command_world import TARGET_CSV
from tests.command_world import changed_tables
from tests.command_world import database_state

pytestmark = pytest.mark.postgres

STORED_POSITIONS = {
    "as_of": "2026-06-30",
    "rows": [
        {"product_id": 1, "sku": "P1", "location_id": loc, "location": name, **stock}
        for loc, name, stock in (
            (10, "Short", {"on_hand": 2, "mean_h": 30.0, "sd_h": 5.0}),
            (11, "Full", {"on_hand": 120, "mean_h": 10.0, "sd_h": 3.0}),
        )
    ],
}
CSV_UPLOAD = "data:text/csv;base64," + base64.b64encode(TARGET_CSV.encode()).decode()
VISITS_UPLOAD = "data:text/csv;base64," + base64.b64encode(b"day,visits\n2026-06-01,9\n").decode()
RATES_UPLOAD = (
    "data:text/csv;base64," + base64.b64encode(b"day,currency,rate\n2026-06-01,EUR,1\n").decode()
)
VISITS_MAPPING = (
    "kind: traffic\nfields:\n  day: {column: day, type: date}\n"
    "  touchpoint_code: {value: web}\n  sessions: {column: visits, type: int}\n"
)

# page module, callback, the input that fired (its name in the page, e.g. IDS.save), the
# highest role below the command's, and the callback's arguments by name (the others are None).
CASES = [
    ("admin_users", "change_users", "IDS.add", "data_scientist", lambda w: {
        "username": "newbie", "password": "long-enough", "role": "executive"}),
    ("admin_users", "change_users", "IDS.set_role", "data_scientist", lambda w: {
        "target": "victim", "new_role": "admin"}),
    ("admin_users", "change_users", "IDS.disable", "data_scientist", lambda w: {
        "target": "victim"}),
    ("admin_users", "change_users", "IDS.issue_token", "data_scientist", lambda w: {
        "target": "victim"}),
    ("admin_users", "change_users", "IDS.revoke_token", "data_scientist", lambda w: {
        "target": "victim"}),
    ("admin_users", "change_users", "IDS.reset_password", "data_scientist", lambda w: {
        "target": "victim", "new_password": "long-enough-2"}),
    ("admin_targets", "change_targets", "IDS.save", "data_scientist", lambda w: {
        "scope": "total:total", "metric": "revenue", "start": "2026-09-01",
        "end": "2026-09-30", "value": "5000"}),
    ("admin_targets", "change_targets", "IDS.upload", "data_scientist", lambda w: {
        "contents": CSV_UPLOAD, "filename": "targets.csv"}),
    ("admin_targets", "change_targets", "DELETE.confirm", "data_scientist", lambda w: {
        "selected": [{"id": w.target_id}]}),
    ("admin_alert_rules", "change_rules", "IDS.create", "data_scientist", lambda w: {
        "name": "web revenue floor", "kind": "threshold", "metric": "revenue",
        "scope": "touchpoint", "scope_code": "web", "direction": "below", "threshold": 1000}),
    ("admin_alert_rules", "change_rules", "IDS.disable", "data_scientist", lambda w: {
        "chosen": w.alert_rule_id}),
    ("admin_rules", "change_rules", "IDS.add", "data_scientist", lambda w: {
        "priority": 5, "source": "shopify", "field": "source_name", "operator": "equals",
        "value": "pos", "touchpoint": "physical_store"}),
    ("admin_rules", "change_rules", "IDS.save", "data_scientist", lambda w: {
        "priority": 99, "target": w.channel_rule_id}),
    ("admin_rules", "change_rules", "IDS.disable", "data_scientist", lambda w: {
        "target": w.channel_rule_id}),
    ("admin_rules", "change_rules", "REMAP.confirm", "data_scientist", lambda w: {}),
    ("admin_rejects", "act", "IDS.replay", "data_scientist", lambda w: {
        "selected": [{"id": w.reject_id}]}),
    ("admin_rejects", "act", "DISCARD.confirm", "data_scientist", lambda w: {
        "selected": [{"id": w.reject_id}], "reason": "sent again"}),
    ("admin_sources", "act", "IDS.sync", "data_scientist", lambda w: {"target": "shop"}),
    ("admin_upload", "save", "IDS.save", "data_scientist", lambda w: {
        "name": "visits", "text": VISITS_MAPPING}),
    ("admin_upload", "fill_mapping", "IDS.draft", "data_scientist", lambda w: {
        "contents": VISITS_UPLOAD, "kind": "traffic", "source": "counter"}),
    ("admin_upload", "dry_run", "IDS.dry_run", "data_scientist", lambda w: {
        "contents": VISITS_UPLOAD, "text": VISITS_MAPPING, "source": "counter"}),
    ("admin_upload", "load", "IDS.load", "data_scientist", lambda w: {
        "contents": VISITS_UPLOAD, "name": "visits.csv", "text": VISITS_MAPPING,
        "source": "counter"}),
    ("admin_exchange_rates", "load_rates", "IDS.upload", "data_scientist", lambda w: {
        "upload": RATES_UPLOAD, "filename": "rates.csv"}),
    ("admin_reports", "save_schedule", "IDS.save", "data_scientist", lambda w: {
        "weekday": 0, "hour": 7, "recipients": "ceo@example.com", "enabled": True}),
    ("inventory", "apply", "IDS.apply", "executive", lambda w: {"stored": STORED_POSITIONS}),
    ("models", "change_models", "IDS.retrain", "planner", lambda w: {}),
    ("models", "change_models", "IDS.promote", "planner", lambda w: {
        "series": "category:ecommerce:orders", "version": 2}),
    ("models", "change_models", "IDS.rollback", "planner", lambda w: {
        "series": "category:ecommerce:orders"}),
    ("alerts", "change_alert", "IDS.submit_root_cause", "executive", lambda w: {
        "alert_id": w.alert_id, "category": "stock_out",
        "cause": "The store ran out of the best seller", "action": "Reorder earlier"}),
    ("alerts", "change_alert", "IDS.resolve", "executive", lambda w: {"alert_id": w.alert_id}),
]  # fmt: skip


@pytest.fixture
def app(command_world):
    application = create_app()
    application.server.config["TESTING"] = True
    application.server.test_client().get("/login")  # first request: Dash registers its pages
    return application


def _page_module(name: str):
    """The page's module as Dash loaded it (from its pages folder, not as ``dashapp.pages``)."""
    (module,) = [
        p["module"] for p in dash.page_registry.values() if p["module"].endswith(f".{name}")
    ]
    return sys.modules[module]


def _refusal_in(answer) -> str | None:
    """The refusal among the callback's outputs: a red, dismissible alert, or a message store
    (``{"text", "ok": False}``) another callback shows as one; None if it answered with none."""
    outputs = answer if isinstance(answer, tuple) else (answer,)
    for output in outputs:
        if isinstance(output, dbc.Alert) and output.color == "danger" and output.dismissable:
            return str(output.children)
        if isinstance(output, dict) and output.get("ok") is False:
            return output["text"]
    return None


def _call_as(app, role: str, module, function: str, trigger: str, given: dict):
    callback = getattr(module, function)
    parameters = list(inspect.signature(callback).parameters)
    fired = attrgetter(trigger)(module)
    # The n_clicks inputs (named _…) clicked, the rest as given or empty.
    values = {p: 1 if p.startswith("_") else None for p in parameters} | given
    with app.server.test_request_context("/_dash-update-component", method="POST"):
        login_user(SessionUser(UserInfo(1, f"{role}-user", role, True, None)))
        token = context_value.set(
            AttributeDict(triggered_inputs=[{"prop_id": f"{fired}.n_clicks", "value": 1}])
        )
        try:
            return callback(**values)
        finally:
            context_value.reset(token)


@pytest.mark.parametrize(
    ("page", "function", "trigger", "role", "given"),
    CASES,
    ids=[
        f"{page}-{trigger.removeprefix('IDS.').lower()}-as-{role}"
        for page, _, trigger, role, _ in CASES
    ],
)
def test_a_change_past_a_broken_guard_is_refused_by_its_command_and_shown(
    app, command_world, page, function, trigger, role, given
):
    module = _page_module(page)
    before = database_state(command_world.url)
    refusal = _refusal_in(_call_as(app, role, module, function, trigger, given(command_world)))
    assert refusal is not None
    assert f"the {role} role may not" in refusal.lower()
    assert changed_tables(before, database_state(command_world.url)) == []
