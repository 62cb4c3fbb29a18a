"""The Budget page's "Apply plan" called by a planner with values no browser sends: each is
refused with a message and writes nothing; a well-formed call writes one audited version."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import func
from sqlalchemy import select

from analytics.budget.extrapolation import extrapolations
from analytics.budget.plans import active_plan
from analytics.budget.plans import plan_versions
from analytics.views.budget import build_budget
from analytics.views.budget import build_whatif
from db.budget_tables import BudgetPlan
from db.engine import get_engine
from db.schema import AuditLog
from tests.conftest import load_demo
from tests.dashapp.test_callback_guard import _server_callbacks
from tests.dashapp.test_callback_guard import well_formed
from tests.signin import post_callback

pytestmark = pytest.mark.postgres


def counts() -> tuple[int, int]:
    with get_engine().connect() as conn:
        plans = conn.execute(select(func.count()).select_from(BudgetPlan.__table__)).scalar()
        audits = conn.execute(select(func.count()).select_from(AuditLog.__table__)).scalar()
    return plans, audits


def apply_body(app, split: dict[str, object], objective="revenue", total=None) -> dict:
    """The Apply plan request a page with one slider per channel of ``split`` sends."""
    key = next(k for k in _server_callbacks(app) if "budget-apply-message" in k)
    body = well_formed(key, _server_callbacks(app)[key])

    def slider(channel: str) -> dict:
        return {"type": "budget-whatif", "channel": channel}

    body["inputs"] = [{"id": "budget-apply", "property": "n_clicks", "value": 1}]
    body["changedPropIds"] = ["budget-apply.n_clicks"]
    body["state"] = [
        [{"id": slider(c), "property": "value", "value": v} for c, v in split.items()],
        [{"id": slider(c), "property": "id", "value": slider(c)} for c in split],
        {"id": "budget-objective", "property": "value", "value": objective},
        {"id": "budget-total", "property": "value", "value": total},
        [],
        [],
        [],
    ]
    return body


def test_crafted_apply_requests_are_refused_whole(app, client_for, pg_url):
    load_demo(pg_url, n_orders=3000, seed=4, years=2)
    allocation = build_budget().proposal.allocation
    split = dict(zip(allocation.channels, allocation.proposed.round(2).tolist(), strict=True))
    planner = client_for("planner")
    before = counts()
    first = allocation.channels[0]
    crafted = {
        "unknown objective": apply_body(app, split, objective="evil"),
        "negative amount": apply_body(app, {**split, first: -5}),
        "text amount": apply_body(app, {**split, first: "1e3; drop table"}),
        "infinite amount": apply_body(app, {**split, first: float("inf")}),
        "unknown channel": apply_body(app, {**split, "nowhere": 10}),
        "a channel left out": apply_body(app, dict(list(split.items())[1:])),
        "total not a number": apply_body(app, split, total="lots"),
    }
    for name, body in crafted.items():
        response = post_callback(planner, json.loads(json.dumps(body, allow_nan=True)))
        assert response.status_code == 200, (name, response.data[:300])
        message = json.dumps(response.get_json()["response"]["budget-apply-message"])
        assert "Not applied" in message, (name, message[:300])
        assert counts() == before, name

    response = post_callback(planner, apply_body(app, split))
    assert "version 1 applied" in json.dumps(response.get_json())
    assert counts() == (before[0] + 1, before[1] + 1)
    assert plan_versions().iloc[0]["created_by"] == "user-planner"


def slider(channel: str, kind: str = "budget-whatif") -> dict:
    return {"type": kind, "channel": channel}


def dash_id(pattern: dict) -> str:
    """A pattern-matching id as Dash writes it in responses and changed properties."""
    return json.dumps(pattern, separators=(",", ":"), sort_keys=True)


def optimise_body(app, channels: list[str], total: float) -> dict:
    """The Optimise split request of a page with a slider and limits per channel."""
    key = next(k for k in _server_callbacks(app) if "budget-uplift" in k)
    body = well_formed(key, _server_callbacks(app)[key])
    for index, prop in ((5, "value"), (6, "max")):
        body["outputs"][index] = [{"id": slider(c), "property": prop} for c in channels]
    body["inputs"] = [
        {"id": "budget-optimise", "property": "n_clicks", "value": 1},
        {"id": "budget-objective", "property": "value", "value": "revenue"},
    ]
    body["changedPropIds"] = ["budget-optimise.n_clicks"]
    limits = [{"id": slider(c, "budget-min"), "property": "value", "value": None} for c in channels]
    body["state"] = [
        {"id": "budget-total", "property": "value", "value": total},
        limits,
        [{**item, "id": slider(item["id"]["channel"], "budget-max")} for item in limits],
        [{**item, "property": "id", "value": item["id"]} for item in limits],
    ]
    return body


def test_the_optimised_split_and_the_plan_applied_add_up_to_the_total_entered(
    app, client_for, pg_url
):
    """Each channel's amount rounded to cents on its own made the sliders, and so the plan
    applied, a cent over the total on this data (28,000.01)."""
    load_demo(pg_url, n_orders=3000, seed=4, years=2)
    channels = list(build_budget().proposal.allocation.channels)
    planner = client_for("planner")
    response = post_callback(planner, optimise_body(app, channels, 28_000)).get_json()["response"]
    split = {c: response[dash_id(slider(c))]["value"] for c in channels}
    assert sum(Decimal(str(v)) for v in split.values()) == Decimal("28000")

    applied = json.dumps(post_callback(planner, apply_body(app, split, total=28_000)).get_json())
    assert "version 1 applied" in applied
    versions, lines = plan_versions(), active_plan()
    assert versions.iloc[0]["total"] == Decimal("28000.00")
    assert sum(lines["amount"]) == Decimal("28000.00")


def component(tree, component_id: str) -> dict | None:
    """The component with ``component_id`` in a callback's serialised output."""
    if isinstance(tree, list):
        found = (component(item, component_id) for item in tree)
        return next((c for c in found if c is not None), None)
    if not isinstance(tree, dict):
        return None
    props = tree.get("props", {})
    if props.get("id") == component_id:
        return tree
    return component(props.get("children"), component_id)


def listed(alert: dict) -> list[str]:
    return [item["props"]["children"] for item in alert["props"]["children"]["props"]["children"]]


def whatif_body(app, split: dict[str, float]) -> dict:
    """The what-if request of a page whose sliders hold ``split``."""
    key = next(k for k in _server_callbacks(app) if "budget-whatif-summary" in k)
    body = well_formed(key, _server_callbacks(app)[key])
    body["inputs"] = [
        [{"id": slider(c), "property": "value", "value": v} for c, v in split.items()]
    ]
    body["changedPropIds"] = [f"{dash_id(slider(next(iter(split))))}.value"]
    body["state"] = [
        [{"id": slider(c), "property": "id", "value": slider(c)} for c in split],
        {"id": "budget-objective", "property": "value", "value": "revenue"},
        {"id": "budget-total", "property": "value", "value": None},
        [],
        [],
        [],
    ]
    return body


def test_channels_outside_their_spend_history_are_named_on_the_page(app, client_for, pg_url):
    """The proposal and the what-if each warn, per channel, where an amount lies outside the
    spend the channel's curve was fitted on."""
    load_demo(pg_url, n_orders=3000, seed=4, years=2)
    proposal = build_budget(total=28_000.0).proposal
    expected = extrapolations(proposal.allocation, proposal.spend_ranges, proposal.names, "USD")
    assert expected
    channels = list(proposal.allocation.channels)
    planner = client_for("planner")
    response = post_callback(planner, optimise_body(app, channels, 28_000)).get_json()["response"]
    shown = component(response["budget-uplift"]["children"], "budget-extrapolation")
    assert listed(shown) == expected

    split = dict.fromkeys(channels, 0.0) | {channels[0]: 50_000.0}
    whatif = build_whatif(split)
    expected = extrapolations(whatif.allocation, whatif.spend_ranges, whatif.names, "USD")
    assert proposal.names[channels[0]] in expected[0]
    response = post_callback(planner, whatif_body(app, split)).get_json()["response"]
    shown = component(response["budget-whatif-summary"]["children"], "budget-whatif-extrapolation")
    assert listed(shown) == expected
