"""Stock re-allocation: never moves more than a location holds, lowers expected stock-outs,
and applying a plan records it with its audit entry."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sqlalchemy import select

from analytics.allocation import apply_plan
from analytics.allocation import plan_reallocation
from analytics.errors import AnalyticsError
from db import audit
from db.engine import get_engine
from db.forecast_tables import AllocationPlan
from db.roles import Actor
from db.schema import AuditLog
from db.schema import Inventory
from db.schema import Location
from db.schema import Product
from db.schema import Region

AS_OF = dt.date(2026, 6, 30)


def positions():
    """Product 1: A is short (2 on hand, demand 30 ± 6), B and C hold plenty; product 2 is
    short everywhere, so nothing can be moved for it."""
    return pd.DataFrame(
        {
            "product_id": [1, 1, 1, 2, 2],
            "sku": ["P1", "P1", "P1", "P2", "P2"],
            "location_id": [10, 11, 12, 10, 11],
            "location": ["A", "B", "C", "A", "B"],
            "on_hand": [2, 120, 45, 3, 4],
            "mean_h": [30.0, 20.0, 25.0, 10.0, 12.0],
            "sd_h": [6.0, 5.0, 5.0, 3.0, 3.0],
        }
    )


def independent_stockouts(stock, mean, sd):
    return float(sum(1 - stats.norm.cdf(s, m, d) for s, m, d in zip(stock, mean, sd, strict=True)))


def test_plan_moves_only_spare_stock_and_lowers_expected_stockouts():
    frame = positions()
    plan = plan_reallocation(frame, horizon_days=28, as_of=AS_OF)
    assert not plan.moves.empty
    out = plan.moves.groupby(["product_id", "from_location_id"])["units"].sum()
    held = frame.set_index(["product_id", "location_id"])["on_hand"]
    for key, units in out.items():
        assert units <= held[key]
    after = plan.positions.set_index(["product_id", "location_id"])["on_hand_after"]
    assert (after >= 0).all()
    # Units are conserved per product and donors keep demand + safety stock.
    assert plan.positions.groupby("product_id")["on_hand_after"].sum().tolist() == [167, 7]
    donors = plan.positions[plan.positions["on_hand_after"] < plan.positions["on_hand"]]
    assert (donors["on_hand_after"] >= np.ceil(donors["mean_h"] + 1.65 * donors["sd_h"])).all()
    assert set(plan.moves["product_id"]) == {1}
    before = independent_stockouts(frame["on_hand"], frame["mean_h"], frame["sd_h"])
    later = independent_stockouts(after.to_numpy(), frame["mean_h"], frame["sd_h"])
    assert plan.effect["expected_stockouts_before"] == pytest.approx(before)
    assert plan.effect["expected_stockouts_after"] == pytest.approx(later)
    assert later < before - 0.9
    assert plan.effect["expected_short_units_after"] < plan.effect["expected_short_units_before"]


def test_nothing_to_move_when_no_location_has_spare_stock():
    frame = positions().query("product_id == 2")
    plan = plan_reallocation(frame, 28, AS_OF)
    assert plan.moves.empty and plan.units_moved == 0


@pytest.mark.postgres
def test_apply_plan_records_the_plan_and_an_audit_entry(pg_url):
    engine = get_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(Region.__table__.insert(), [{"id": 1, "code": "us", "name": "US"}])
        conn.execute(
            Location.__table__.insert(),
            [
                {"id": i, "code": c, "name": c, "kind": "store", "region_id": 1}
                for i, c in ((10, "A"), (11, "B"), (12, "C"))
            ],
        )
        conn.execute(
            Product.__table__.insert(),
            [{"id": 1, "sku": "P1", "name": "P1", "list_price": 10, "unit_cost": 5}],
        )
        conn.execute(
            Inventory.__table__.insert(),
            [
                {"day": AS_OF, "product_id": 1, "location_id": loc, "on_hand": n, "on_order": 0}
                for loc, n in ((10, 2), (11, 120), (12, 45))
            ],
        )
    plan = plan_reallocation(positions().query("product_id == 1"), 28, AS_OF)
    plan_id = apply_plan(plan, actor=Actor("planner", "planner"))
    with engine.connect() as conn:
        row = conn.execute(select(AllocationPlan.__table__)).mappings().one()
        entry = conn.execute(select(AuditLog.__table__)).mappings().one()
        assert audit.verify(conn) == []
    assert row["id"] == plan_id and row["units_moved"] == plan.units_moved
    assert sum(m["units"] for m in row["moves"]) == plan.units_moved
    assert entry["action"] == "allocation.apply" and entry["actor"] == "planner"
    assert entry["after"]["units"] == plan.units_moved

    with engine.begin() as conn:
        conn.execute(Inventory.__table__.update().values(on_hand=1))
    with pytest.raises(AnalyticsError, match="holds 1"):
        apply_plan(plan, actor=Actor("planner", "planner"))
