"""The Budget page's "Apply plan" called by a planner with values no browser sends: each is
refused with a message and writes nothing; a well-formed call writes one audited version."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func
from sqlalchemy import select

from analytics.budget.plans import plan_versions
from analytics.views.budget import build_budget
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
