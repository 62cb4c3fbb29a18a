"""The Inventory page's "Apply plan" called again for a stock day that has its plan applied
(a second tab, a request sent by hand): refused with a message, nothing written."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import func
from sqlalchemy import select

from db.engine import get_engine
from db.forecast_tables import AllocationPlan
from db.schema import AuditLog
from forecasting.stock_data import stock_positions
from tests.conftest import load_demo
from tests.dashapp.test_callback_guard import _server_callbacks
from tests.dashapp.test_callback_guard import well_formed
from tests.signin import post_callback

pytestmark = pytest.mark.postgres


def written() -> tuple[int, int]:
    """Plans recorded and their audit entries."""
    with get_engine().connect() as conn:
        plans = conn.execute(select(func.count()).select_from(AllocationPlan.__table__)).scalar()
        entries = conn.execute(
            select(func.count())
            .select_from(AuditLog.__table__)
            .where(AuditLog.action == "allocation.apply")
        ).scalar()
    return plans, entries


def apply_body(app, as_of: str) -> dict:
    """The Apply plan request of a page showing the plan for the stock of ``as_of``."""
    key = next(k for k in _server_callbacks(app) if "inventory-message" in k)
    body = well_formed(key, _server_callbacks(app)[key])
    body["inputs"] = [{"id": "inventory-apply", "property": "n_clicks", "value": 1}]
    body["changedPropIds"] = ["inventory-apply.n_clicks"]
    body["state"] = [
        {"id": "inventory-positions-store", "property": "data", "value": {"as_of": as_of}}
    ]
    return body


def test_a_stock_day_with_its_plan_applied_refuses_another(app, client_for, pg_url):
    load_demo(pg_url, n_orders=3000, seed=4, years=2)
    as_of = pd.Timestamp(stock_positions(28)["day"].iloc[0]).date().isoformat()
    planner = client_for("planner")

    first = json.dumps(post_callback(planner, apply_body(app, as_of)).get_json())
    assert "Plan 1 applied" in first
    assert written() == (1, 1)
    for client in (planner, client_for("admin")):
        again = json.dumps(post_callback(client, apply_body(app, as_of)).get_json())
        assert "Plan 2" not in again
        assert "plan 1 was already applied for the stock of" in again
        assert "by user-planner" in again and "when new stock counts arrive" in again
        assert written() == (1, 1)
