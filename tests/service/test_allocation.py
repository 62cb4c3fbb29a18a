"""Stock re-allocation: never moves more than a location holds, lowers expected stock-outs,
and applying a plan records it with its audit entry, once per stock day."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from analytics.allocation import EFFECTS
from analytics.allocation import Plan
from analytics.allocation import applied_plan
from analytics.allocation import apply_plan
from analytics.allocation import plan_reallocation
from analytics.errors import AnalyticsError
from db import audit
from db.audit import AUDIT_LOCK_KEY
from db.engine import get_engine
from db.forecast_tables import AllocationPlan
from db.migrate import downgrade
from db.migrate import upgrade
from db.roles import Actor
from db.schema import AuditLog
from db.schema import Inventory
from db.schema import Location
from db.schema import Product
from db.schema import Region

AS_OF = dt.date(2026, 6, 30)
NEXT_DAY = AS_OF + dt.timedelta(days=1)


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


HELD = {10: 2, 11: 120, 12: 45}  # product 1's stock per location, as ``positions`` has it


def record_stock(engine, day: dt.date, held: dict[int, int]) -> None:
    with engine.begin() as conn:
        conn.execute(
            Inventory.__table__.insert(),
            [
                {"day": day, "product_id": 1, "location_id": loc, "on_hand": n, "on_order": 0}
                for loc, n in held.items()
            ],
        )


def stock_world(url: str) -> Plan:
    """Locations A, B and C holding product 1 on ``AS_OF``; returns the plan for that day."""
    engine = get_engine(url)
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
    record_stock(engine, AS_OF, HELD)
    return plan_reallocation(positions().query("product_id == 1"), 28, AS_OF)


def written(url: str) -> tuple[int, int]:
    """Plans and audit entries recorded."""
    with get_engine(url).connect() as conn:
        return tuple(
            conn.execute(select(func.count()).select_from(table)).scalar()
            for table in (AllocationPlan.__table__, AuditLog.__table__)
        )


@pytest.mark.postgres
def test_apply_plan_records_the_plan_and_an_audit_entry(pg_url):
    engine = get_engine(pg_url)
    plan = stock_world(pg_url)
    plan_id = apply_plan(plan, actor=Actor("planner", "planner"))
    with engine.connect() as conn:
        row = conn.execute(select(AllocationPlan.__table__)).mappings().one()
        entry = conn.execute(select(AuditLog.__table__)).mappings().one()
        assert audit.verify(conn) == []
    assert row["id"] == plan_id and row["units_moved"] == plan.units_moved
    assert sum(m["units"] for m in row["moves"]) == plan.units_moved
    assert entry["action"] == "allocation.apply" and entry["actor"] == "planner"
    assert entry["after"]["units"] == plan.units_moved

    record_stock(engine, NEXT_DAY, dict.fromkeys(HELD, 1))
    with pytest.raises(AnalyticsError, match="holds 1"):
        apply_plan(replace(plan, as_of=NEXT_DAY), actor=Actor("planner", "planner"))


@pytest.mark.postgres
def test_a_stock_day_gets_one_plan_applied_until_new_counts_arrive(pg_url):
    """Applying records a plan and moves no stock counts: a second plan for the same counts
    would ship the same units again, so it is refused and writes nothing."""
    plan = stock_world(pg_url)
    first = apply_plan(plan, actor=Actor("pat", "planner"))
    before = written(pg_url)
    for actor in (Actor("pat", "planner"), Actor("ann", "admin")):
        with pytest.raises(
            AnalyticsError,
            match=f"plan {first} was already applied for the "
            "stock of 30 Jun 2026 by pat; a new plan can be applied when new",
        ):
            apply_plan(plan, actor=actor)
    assert written(pg_url) == before
    shown = applied_plan(AS_OF)
    assert (shown.id, shown.created_by, shown.units_moved) == (first, "pat", plan.units_moved)
    assert shown.effect == pytest.approx(plan.effect, abs=1e-4)
    pd.testing.assert_frame_equal(shown.moves, plan.moves, check_dtype=False)

    record_stock(get_engine(pg_url), NEXT_DAY, HELD)
    assert applied_plan(NEXT_DAY) is None
    with pytest.raises(AnalyticsError, match="latest stock counts are of 01 Jul 2026"):
        apply_plan(replace(plan, as_of=AS_OF), actor=Actor("pat", "planner"))
    second = apply_plan(replace(plan, as_of=NEXT_DAY), actor=Actor("pat", "planner"))
    assert applied_plan(NEXT_DAY).id == second != first


def waiting_on_locks(url: str) -> int:
    """Sessions of this database waiting for a lock."""
    query = (
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with get_engine(url).connect() as conn:
        return conn.execute(text(query)).scalar()


@pytest.mark.postgres
def test_of_two_plans_applied_at_once_for_a_stock_day_one_is_recorded(pg_url):
    """Both applies check the stock day before either commits (the audit log's lock, held
    here, stops them mid-transaction); only one plan is recorded, the other is refused."""
    plan = stock_world(pg_url)
    outcomes: dict[str, object] = {}

    def run(name: str) -> None:
        try:
            outcomes[name] = apply_plan(plan, actor=Actor(name, "planner"))
        except AnalyticsError as exc:
            outcomes[name] = exc

    threads = [threading.Thread(target=run, args=(name,)) for name in ("ann", "bob")]
    with get_engine(pg_url).begin() as holder:
        holder.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 30
        while waiting_on_locks(pg_url) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert waiting_on_locks(pg_url) == 2
    for thread in threads:
        thread.join(timeout=30)
    won = {name: o for name, o in outcomes.items() if isinstance(o, int)}
    refused = {name: o for name, o in outcomes.items() if isinstance(o, AnalyticsError)}
    assert len(won) == 1 and len(refused) == 1, outcomes
    (winner, plan_id), (message,) = next(iter(won.items())), refused.values()
    assert f"plan {plan_id} was already applied" in str(message) and f"by {winner}" in str(message)
    assert written(pg_url) == (1, 1)


@pytest.mark.parametrize("database", ["pg_url", "sqlite_url"])
def test_plans_applied_twice_for_a_day_before_the_index_keep_the_first_applied(database, request):
    """Migration 0070 keeps the record: a day's later plans become ``repeated``, not deleted."""
    url = request.getfixturevalue(database)
    downgrade(url, "0006")
    table = AllocationPlan.__table__
    effect = dict.fromkeys(EFFECTS, 0.0)
    with get_engine(url).begin() as conn:
        for day in (AS_OF, AS_OF, NEXT_DAY):
            conn.execute(
                table.insert().values(
                    created_by="pat", as_of=day, horizon_days=28, status="applied", moves=[],
                    units_moved=5, **effect,
                )
            )  # fmt: skip

    def statuses() -> list[str]:
        with get_engine(url).connect() as conn:
            return list(conn.execute(select(table.c.status).order_by(table.c.id)).scalars())

    upgrade(url)
    assert statuses() == ["applied", "repeated", "applied"]
    with pytest.raises(IntegrityError), get_engine(url).begin() as conn:
        conn.execute(
            table.insert().values(
                created_by="ann", as_of=NEXT_DAY, horizon_days=28, status="applied", moves=[],
                units_moved=5, **effect,
            )
        )  # fmt: skip
    downgrade(url, "0006")
    assert statuses() == ["applied"] * 3
