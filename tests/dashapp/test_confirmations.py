"""Sweeping and irreversible admin commands ask first (``dashapp/components/confirm.py``).

Through the guard, as an admin's browser sends them: the command's button only opens its
confirmation, saying what would happen, and changes nothing; Cancel closes it and changes
nothing; Confirm runs the command. No other callback takes the button's clicks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from analytics.targets import TargetInput
from analytics.targets import list_targets
from analytics.targets import set_target
from analytics.taxonomy import add_touchpoint
from db.engine import get_engine
from db.roles import system
from ingestion.quarantine import list_rejects
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import load_page
from tests.command_world import changed_tables
from tests.command_world import database_state
from tests.dashapp.test_callback_guard import SIGN_IN_TABLES
from tests.dashapp.test_callback_guard import _server_callbacks
from tests.dashapp.test_callback_guard import well_formed
from tests.signin import post_callback

pytestmark = pytest.mark.postgres


def _a_target() -> dict:
    set_target(
        TargetInput("total", "total", "revenue", "2026-07-01", "2026-07-31", "1000"),
        system("tests"),
    )
    return {"admin-targets-grid.selectedRows": [{"id": int(list_targets()["id"].iloc[0])}]}


def _a_reject() -> dict:
    origin = Origin("shopify", "main-store", "webhook", "shop")
    load_page(get_engine(), origin, [Incoming("order-9", b"\xff not json")])
    (reject,) = list_rejects()
    return {
        "admin-rejects-status.value": "quarantined",
        "admin-rejects-grid.selectedRows": [{"id": reject.id}],
        "admin-rejects-reason.value": "sent again",
    }


def _a_touchpoint() -> dict:
    add_touchpoint("agent_desk", "Agent desk", "ecommerce", system("tests"))
    return {"admin-channels-channel.value": "touchpoint:agent_desk"}


@dataclass(frozen=True)
class Action:
    button: str  # the command's button, which asks first
    message: str  # the page's message, where the command says what it did
    seed: Any  # () -> the callback values (``id.property``) choosing what it acts on
    question: str  # in what the confirmation asks
    unchosen: str | None  # what it asks when nothing is chosen (None: it acts on everything)
    done: str  # in the message once confirmed
    changes: set[str]  # tables the command changes


ACTIONS = {
    "remap": Action(
        "admin-rules-remap",
        "admin-rules-message",
        dict,
        "Remap every past order with the current channel rules (rule set version 1)?",
        None,
        "Remapped with rule set version 1: 0 orders moved",
        {"audit_log"},
    ),
    "retire": Action(
        "admin-channels-retire",
        "admin-channels-message",
        _a_touchpoint,
        "Retire Agent desk (touchpoint agent_desk)?",
        "No channel is chosen",
        "Agent desk (agent_desk) retired.",
        {"touchpoint", "audit_log"},
    ),
    "delete-channel": Action(
        "admin-channels-delete",
        "admin-channels-message",
        _a_touchpoint,
        "Delete Agent desk (touchpoint agent_desk)? Only a channel nothing refers to",
        "No channel is chosen",
        "Agent desk (agent_desk) deleted.",
        {"touchpoint", "audit_log"},
    ),
    "discard": Action(
        "admin-rejects-discard",
        "admin-rejects-message",
        _a_reject,
        "Discard 1 selected reject as “sent again”? A discarded reject is kept",
        "No reject is selected",
        "Discarded 1 reject(s).",
        {"reject", "audit_log"},
    ),
    "delete-targets": Action(
        "admin-targets-delete",
        "admin-targets-message",
        _a_target,
        "Delete 1 selected target? Targets & variance",
        "No target is selected",
        "Deleted 1 target.",
        {"target", "audit_log"},
    ),
}


def _click(client, app, output: str, clicked: str, values: dict) -> dict:
    """The callback writing ``output`` as the page sends it when ``clicked`` is clicked (the
    other values by ``id.property``, None if not given); its answer by output id."""
    key = next(k for k in _server_callbacks(app) if f"{output}." in k)
    body = well_formed(key, app.callback_map[key])
    for item in (*body["inputs"], *body["state"]):
        name = f"{item['id']}.{item['property']}"
        item["value"] = 1 if name == f"{clicked}.n_clicks" else values.get(name)
    body["changedPropIds"] = [f"{clicked}.n_clicks"]
    response = post_callback(client, body)
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["response"]


def _changed(before: dict, url: str) -> set[str]:
    return set(changed_tables(before, database_state(url))) - SIGN_IN_TABLES


@pytest.mark.parametrize("name", ACTIONS)
def test_the_button_only_asks_cancel_changes_nothing_and_confirm_runs_it(
    app, client_for, pg_url, name
):
    action = ACTIONS[name]
    values = action.seed()
    admin = client_for("admin")
    before = database_state(pg_url)
    modal, question = f"{action.button}-modal", f"{action.button}-question"

    asked = _click(admin, app, modal, action.button, values)
    assert asked[modal] == {"is_open": True}
    assert action.question in asked[question]["children"]
    if action.unchosen is not None:
        unchosen = _click(admin, app, modal, action.button, {})[question]["children"]
        assert unchosen.startswith(action.unchosen)
    assert _click(admin, app, modal, f"{action.button}-cancel", values) == {
        modal: {"is_open": False}
    }
    assert _changed(before, pg_url) == set()

    done = _click(admin, app, action.message, f"{action.button}-confirm", values)
    assert action.done in json.dumps(done[action.message], ensure_ascii=False)
    assert action.changes <= _changed(before, pg_url)
    closed = _click(admin, app, modal, f"{action.button}-confirm", values)
    assert closed == {modal: {"is_open": False}}


def test_a_button_that_asks_first_fires_nothing_but_its_confirmation(app):
    for action in ACTIONS.values():
        fired = [
            key
            for key, spec in _server_callbacks(app).items()
            if any(i["id"] == action.button for i in spec["inputs"])
        ]
        assert fired == [f"..{action.button}-modal.is_open...{action.button}-question.children.."]
