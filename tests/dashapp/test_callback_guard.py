"""Every registered callback × every role, well-formed and malformed: refused before it runs.

Generated from the app's own callback registry, so a page or callback added later is
covered without touching this test. Expected access is read from the page registry (each
id belongs to the page whose prefix it carries); a refused request must change nothing:
the audit log and every table are compared before and after the whole sweep.
"""

from __future__ import annotations

import copy
import hashlib
import json

import dash
import pytest
from sqlalchemy import select

from dashapp.access import ROLE_ORDER
from dashapp.access import allowed
from dashapp.access import page_for_component
from db.engine import get_engine
from db.schema import Base
from db.schema import LoginFailure
from db.schema import UserSession
from tests.signin import ORIGIN
from tests.signin import post_callback

pytestmark = pytest.mark.postgres
REFUSED = (400, 403)
# Rows these tables gain from signing in and out, not from any callback.
SIGN_IN_TABLES = {UserSession.__tablename__, LoginFailure.__tablename__}


def _dependency_ids(spec: dict) -> list:
    output = spec["output"]
    outputs = [] if spec.get("no_output") else output if isinstance(output, list) else [output]
    ids = [o.component_id for o in outputs]
    for item in (*spec["inputs"], *spec["state"]):
        raw = item["id"]
        ids.append(json.loads(raw) if raw.startswith("{") else raw)
    return ids


def _concrete(component_id):
    """A concrete id for a registered one: wildcards filled in as a page would."""
    if not isinstance(component_id, dict):
        return component_id
    return {k: (0 if not isinstance(v, str) else v) for k, v in component_id.items()}


def _item(component_id, prop: str, expands: bool, value=True):
    one = {"id": _concrete(component_id), "property": prop.split("@")[0]}
    if value:
        one["value"] = None
    return [one] if expands else one


def _expands(component_id) -> bool:
    """An ALL / ALLSMALLER id: a Dash wildcard in outputs, its JSON form in inputs and state."""
    return isinstance(component_id, dict) and any(
        str(v) in ("ALL", "ALLSMALLER") or v in (["ALL"], ["ALLSMALLER"])
        for v in component_id.values()
    )


def well_formed(key: str, spec: dict) -> dict:
    output = spec["output"]
    outputs = [] if spec.get("no_output") else output if isinstance(output, list) else [output]
    body: dict = {
        "output": key,
        "outputs": [
            _item(o.component_id, o.component_property, _expands(o.component_id), value=False)
            for o in outputs
        ],
        "inputs": [],
        "state": [],
        "changedPropIds": [],
    }
    if not isinstance(output, list) and outputs:
        body["outputs"] = body["outputs"][0]
    for name in ("inputs", "state"):
        for item in spec[name]:
            raw = item["id"]
            component_id = json.loads(raw) if raw.startswith("{") else raw
            body[name].append(_item(component_id, item["property"], _expands(component_id)))
    if body["inputs"] and isinstance(body["inputs"][0], dict):
        first = body["inputs"][0]
        body["changedPropIds"] = [f"{first['id']}.{first['property']}"]
    return body


def malformed(body: dict, foreign_output: dict) -> dict[str, dict]:
    """Variants a caller could send to run this callback with something else in it."""
    variants = {}

    def variant(name: str, change) -> None:
        copied = copy.deepcopy(body)
        change(copied)
        variants[name] = copied

    plain = [i for i in body["inputs"] if isinstance(i, dict)]
    if plain:
        variant("input id renamed", lambda b: _rename(b["inputs"]))
        variant("missing input", lambda b: b["inputs"].pop())
    variant("extra input", lambda b: b["inputs"].append({"id": "x", "property": "value"}))
    if len(body["inputs"]) > 1 and body["inputs"][0] != body["inputs"][-1]:
        variant("inputs reordered", lambda b: b["inputs"].reverse())
    if body["outputs"]:
        variant("outputs missing", lambda b: b.pop("outputs"))
        variant("another page's output", lambda b: b.update(outputs=foreign_output))
    variant("changed id not an input", lambda b: b.update(changedPropIds=["x.value"]))
    variant("inputs not a list", lambda b: b.update(inputs={"id": "x"}))
    return variants


def _rename(items: list) -> None:
    first = next(i for i in items if isinstance(i, dict))
    first["id"] = "renamed" if isinstance(first["id"], str) else {**first["id"], "type": "x"}


def may_run(spec: dict, role: str) -> bool:
    return all(allowed(page_for_component(i), role) for i in _dependency_ids(spec))


def _snapshot() -> str:
    digest = hashlib.sha256()
    with get_engine().connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in SIGN_IN_TABLES:
                continue
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            digest.update(f"{table.name}:{rows!r}".encode())
    return digest.hexdigest()


def _server_callbacks(app) -> dict[str, dict]:
    return {k: v for k, v in app.callback_map.items() if "callback" in v}


def test_every_callback_is_refused_to_roles_outside_its_page_and_malformed_to_all(app, client_for):
    callbacks = _server_callbacks(app)
    users_page = next(p for p in dash.page_registry.values() if p.get("path") == "/admin/users")
    foreign = {"id": f"{users_page['id_prefix']}-grid", "property": "rowData"}
    clients = {role: client_for(role) for role in ROLE_ORDER}
    before = _snapshot()
    checked = 0
    for key, spec in callbacks.items():
        body = well_formed(key, spec)
        for role, client in clients.items():
            if not may_run(spec, role):
                response = post_callback(client, body)
                assert response.status_code == 403, (role, key, response.data[:200])
                checked += 1
            for name, variant in malformed(body, foreign).items():
                response = post_callback(client, variant)
                assert response.status_code in REFUSED, (role, key, name, response.data[:200])
                checked += 1
    assert _snapshot() == before
    assert checked > 1000


def test_a_label_mismatch_cannot_borrow_an_allowed_callbacks_shape(app, client_for):
    """An admin callback's key with an Overview callback's ids and inputs: refused."""
    callbacks = _server_callbacks(app)
    admin_key = next(k for k in callbacks if "admin-reports" in k)
    overview_key = next(k for k in callbacks if k.startswith("..overview-kpis"))
    body = well_formed(overview_key, callbacks[overview_key])
    body["output"] = admin_key
    clients = [client_for(role) for role in ("executive", "planner", "data_scientist")]
    before = _snapshot()
    for client in clients:
        assert post_callback(client, body).status_code == 403
    assert _snapshot() == before


def test_every_server_callback_belongs_to_exactly_one_registered_page(app):
    """One mechanism: no callback escapes the guard by using ids no page owns."""
    for key, spec in _server_callbacks(app).items():
        pages = {(page_for_component(i) or {}).get("path") for i in _dependency_ids(spec)}
        internal = key.startswith(".._pages_content")
        assert internal or (len(pages) == 1 and None not in pages), (key, pages)


@pytest.mark.parametrize(
    "payload",
    [b"not json", b"[]", b'{"output": 3}', b'{"output": "nobody.children"}', b"{}"],
)
def test_requests_that_are_not_a_callback_get_400(app, client_for, payload):
    response = client_for("admin").post(
        "/_dash-update-component",
        data=payload,
        content_type="application/json",
        headers=ORIGIN,
    )
    assert response.status_code == 400


def test_a_cross_origin_callback_is_refused_even_for_an_admin(app, client_for):
    callbacks = _server_callbacks(app)
    key = next(k for k in callbacks if k.startswith("..overview-kpis"))
    body = well_formed(key, callbacks[key])
    client = client_for("admin")
    response = client.post(
        "/_dash-update-component", json=body, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert client.post("/_dash-update-component", json=body).status_code == 403  # no origin
