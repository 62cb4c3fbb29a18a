"""Values no component sends are refused by the guard (400) before any callback runs.

Generated from the app's callback registry like the guard's role sweep: every input and
state of every server callback gets values of a kind its property never carries (or that
its page declared it never holds: a store's shape, a text field), sent by a role that may
use the callback, and nothing in the database changes.
"""

from __future__ import annotations

import copy

import pytest

from dashapp.access import ROLE_ORDER
from dashapp.callback_values import SHAPES
from dashapp.callback_values import fits
from dashapp.callback_values import is_declared
from forecasting.job_watch import wait_for
from forecasting.store import list_jobs
from tests.command_world import changed_tables
from tests.command_world import database_state
from tests.dashapp.test_callback_guard import SIGN_IN_TABLES
from tests.dashapp.test_callback_guard import _server_callbacks
from tests.dashapp.test_callback_guard import _snapshot
from tests.dashapp.test_callback_guard import may_run
from tests.dashapp.test_callback_guard import well_formed
from tests.signin import post_callback

pytestmark = pytest.mark.postgres

COUNT = ["1", -1, 1.5, {"n": 1}]
TEXT = [1, ["a"], {"a": 1}, "nul\x00"]
DATE = ["next tuesday", "2026-02-30", 20260601, ["2026-06-01"], "0001-01-01", "9999-12-31"]
# Values a property never carries, by property; a store declared by its page gets STORE.
ODD = {
    "n_clicks": COUNT,
    "n_intervals": COUNT,
    "contents": TEXT,
    "filename": TEXT,
    "pathname": TEXT,
    "search": TEXT,
    "start_date": DATE,
    "end_date": DATE,
    "date": DATE,
    "value": [{"a": 1}, [["nested"]], [{"a": 1}], "a\x00", ["a", "a\x00"]],
    "selectedRows": ["row", [1], {"id": 1}],
    "clickData": ["click", {"points": "all"}, {"points": [1]}],
}
STORE = ["junk", -3, {"first": None}, [{"code": 1}]]
TEXT_ONLY = [7, 2.5, True, ["a"], "nul\x00"]
# Anything at all: what the guard lets through must not break a callback either.
ANY = ["zz", "/zz", "2026-02-30", -1, 10**20, True, ["zz"], [1, "a"], {"id": 1}]
ANY += [{"points": [{"customdata": {"a": 1}}]}, [{"id": 1}], [{"x": 1}]]
# Codes and ids that name nothing: a channel, an alert id wider than a database id.
ANY += ["category:zz", ["touchpoint:zz"], "?alert=99999999999999999999999"]


def _targets(body: dict):
    """(section, position, the item to change) of every input and state, lists by their first."""
    for section in ("inputs", "state"):
        for position, item in enumerate(body[section]):
            yield section, position, item[0] if isinstance(item, list) else item


def _odd_values(item: dict) -> list:
    if item["property"] == "data":
        return STORE if not fits(item["id"], "data", object()) else []
    if item["property"] == "value" and not fits(item["id"], "value", 7):
        # a text field, a multiple choice of text or a page's option, declared by its page
        values = (*ODD["value"], *TEXT_ONLY, "no-such-choice")
        return [v for v in values if not fits(item["id"], "value", v)]
    return ODD.get(item["property"], [])


def test_every_property_a_callback_reads_has_a_declared_shape(app):
    read = {
        dependency["property"]
        for spec in _server_callbacks(app).values()
        for dependency in (*spec["inputs"], *spec["state"])
    }
    assert read <= set(SHAPES), read - set(SHAPES)
    assert not fits("x", "innerHTML", "text")


def test_every_store_a_callback_reads_is_declared_and_an_undeclared_one_fits_nothing(app):
    stores = {
        dependency["id"]
        for spec in _server_callbacks(app).values()
        for dependency in (*spec["inputs"], *spec["state"])
        if dependency["property"] == "data"
    }
    assert stores and not {s for s in stores if not is_declared(s, "data")}
    assert not any(fits("undeclared-store", "data", value) for value in (None, 0, "x", {}))


def test_values_no_component_sends_are_refused_before_any_callback_runs(app, client_for):
    clients = {role: client_for(role) for role in ROLE_ORDER}
    before = _snapshot()
    refused, declared = 0, set()
    for key, spec in _server_callbacks(app).items():
        body = well_formed(key, spec)
        client = clients[next(role for role in ROLE_ORDER if may_run(spec, role))]
        for section, position, item in _targets(body):
            for value in _odd_values(item):
                sent = copy.deepcopy(body)
                target = sent[section][position]
                (target[0] if isinstance(target, list) else target)["value"] = value
                response = post_callback(client, sent)
                assert response.status_code == 400, (item["id"], value, key, response.data[:300])
                assert b"no component sends" in response.data
                refused += 1
                if value in STORE or value in TEXT_ONLY:
                    declared.add(item["id"])
    assert _snapshot() == before
    assert refused > 500
    assert {
        "overview-bounds",
        "trends-drill",
        "admin-upload-source",
        "alerts-cause-text",
    } <= declared


def test_every_callback_answers_any_value_without_a_server_error(app, client_for, pg_url):
    """What gets past the guard (text that names nothing, numbers out of range, rows without
    their fields) is each callback's to refuse with a message or ignore: never a 500."""
    clients = {role: client_for(role) for role in ROLE_ORDER}
    before = database_state(pg_url)
    answered = 0
    for key, spec in _server_callbacks(app).items():
        body = well_formed(key, spec)
        client = clients[next(role for role in ROLE_ORDER if may_run(spec, role))]
        for section, position, item in _targets(body):
            for value in ANY:
                sent = copy.deepcopy(body)
                target = sent[section][position]
                (target[0] if isinstance(target, list) else target)["value"] = value
                response = post_callback(client, sent)
                assert response.status_code in (200, 204, 400), (key, item["id"], value)
                answered += 1
    training = list_jobs(limit=1000, active_only=True)["id"].tolist()
    if training:  # clicks on "Retrain now" train in the background: let them end
        wait_for(training, timeout=120)
    assert list_jobs(limit=1000, active_only=True).empty
    # A click counts whatever its number: "Retrain now" queued jobs; nothing else was written.
    changed = set(changed_tables(before, database_state(pg_url)))
    assert changed <= {"training_job", "audit_log", *SIGN_IN_TABLES}, changed
    assert answered > 2500


def test_a_breadcrumb_naming_no_step_changes_nothing(app, client_for):
    key, spec = next((k, s) for k, s in _server_callbacks(app).items() if k == "trends-drill.data")
    body = well_formed(key, spec)
    crumb = body["inputs"][-1][0]
    crumb.update(id={**crumb["id"], "index": "first"}, value=1)
    body["changedPropIds"] = ['{"index":"first","type":"trends-crumb"}.n_clicks']
    body["state"][0]["value"] = [{"code": "web", "name": "Web"}]
    response = post_callback(client_for("executive"), body)
    assert response.status_code in (200, 204), response.data[:300]
    assert b"trends-drill" not in response.data
