"""Stock re-allocation between locations by demand velocity.

For each product, a location whose stock is unlikely to cover its demand over the next
``horizon`` days (normal demand: ``mean_h`` ± ``sd_h`` for the whole horizon) receives units
from locations holding more than they need. A donor keeps its own expected demand plus
safety stock (``z`` standard deviations), so it never gives more than it holds; a move is
kept only if it lowers the expected number of stock-outs (the sum of stock-out
probabilities) of the two locations. Applying a plan records it and its audit entry; one plan
is applied per stock day, until new stock counts arrive (applying moves no stock counts).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from analytics.errors import AnalyticsError
from db import audit
from db.engine import get_engine
from db.forecast_tables import AllocationPlan
from db.roles import Actor
from db.schema import Inventory

POSITION_COLUMNS = ["product_id", "sku", "location_id", "location", "on_hand", "mean_h", "sd_h"]
MOVE_COLUMNS = [
    "product_id",
    "sku",
    "from_location_id",
    "from_location",
    "to_location_id",
    "to_location",
    "units",
]
# A plan's expected effect, as ``Plan.effect`` gives it and ``allocation_plan`` stores it.
EFFECTS = (
    "expected_stockouts_before",
    "expected_stockouts_after",
    "expected_short_units_before",
    "expected_short_units_after",
)


def stockout_probability(stock, mean_h, sd_h) -> np.ndarray:
    """P(demand over the horizon ≥ stock): the chance the location runs out."""
    stock = np.asarray(stock, dtype=float)
    p = stats.norm.sf(stock, loc=mean_h, scale=np.maximum(np.asarray(sd_h, dtype=float), 1e-9))
    return np.where(stock <= 0, 1.0, p)


def expected_shortfall(stock, mean_h, sd_h) -> np.ndarray:
    """E[max(demand − stock, 0)]: units of demand expected to go unmet (normal loss function)."""
    sd = np.maximum(np.asarray(sd_h, dtype=float), 1e-9)
    k = (np.asarray(stock, dtype=float) - mean_h) / sd
    return sd * (stats.norm.pdf(k) - k * stats.norm.sf(k))


@dataclass(frozen=True)
class Plan:
    as_of: dt.date
    horizon_days: int
    moves: pd.DataFrame
    positions: pd.DataFrame
    """The input with ``on_hand_after``, ``risk_before/after``, ``short_before/after``."""

    @property
    def units_moved(self) -> int:
        return int(self.moves["units"].sum()) if not self.moves.empty else 0

    @property
    def effect(self) -> dict[str, float]:
        sums = self.positions[["risk_before", "risk_after", "short_before", "short_after"]].sum()
        return {name: float(value) for name, value in zip(EFFECTS, sums, strict=True)}


def plan_reallocation(
    positions: pd.DataFrame,
    horizon_days: int,
    as_of: dt.date,
    z: float = 1.65,
    min_risk: float = 0.2,
) -> Plan:
    """Moves that lower expected stock-outs; ``positions`` has ``POSITION_COLUMNS``
    (``mean_h``/``sd_h``: demand mean and standard deviation over the whole horizon)."""
    missing = [c for c in POSITION_COLUMNS if c not in positions.columns]
    if missing:
        raise AnalyticsError(f"positions lack column(s) {missing}")
    if (positions["on_hand"] < 0).any():
        raise AnalyticsError("stock on hand cannot be negative")
    frame = positions.reset_index(drop=True).copy()
    stock = frame["on_hand"].astype(int).to_numpy().copy()
    mean, sd = frame["mean_h"].to_numpy(float), frame["sd_h"].to_numpy(float)
    keep = np.ceil(mean + z * sd).astype(int)
    moves = []
    for _, rows in frame.groupby("product_id", sort=True):
        index = rows.index.to_numpy()
        risk = stockout_probability(stock[index], mean[index], sd[index])
        receivers = index[np.argsort(-risk, kind="stable")]
        for r in receivers:
            if stockout_probability(stock[r], mean[r], sd[r]) < min_risk:
                continue
            donors = sorted(index, key=lambda d: -(stock[d] - keep[d]))
            for d in donors:
                need = keep[r] - stock[r]
                spare = stock[d] - keep[d]
                if d == r or need <= 0 or spare <= 0:
                    continue
                units = int(min(need, spare))
                gain = (
                    stockout_probability(stock[r], mean[r], sd[r])
                    - stockout_probability(stock[r] + units, mean[r], sd[r])
                ) - (
                    stockout_probability(stock[d] - units, mean[d], sd[d])
                    - stockout_probability(stock[d], mean[d], sd[d])
                )
                if gain <= 0:
                    continue
                stock[d] -= units
                stock[r] += units
                moves.append(
                    {
                        "product_id": int(frame.at[r, "product_id"]),
                        "sku": frame.at[r, "sku"],
                        "from_location_id": int(frame.at[d, "location_id"]),
                        "from_location": frame.at[d, "location"],
                        "to_location_id": int(frame.at[r, "location_id"]),
                        "to_location": frame.at[r, "location"],
                        "units": units,
                    }
                )
    frame["on_hand_after"] = stock
    frame["risk_before"] = stockout_probability(frame["on_hand"], mean, sd)
    frame["risk_after"] = stockout_probability(stock, mean, sd)
    frame["short_before"] = expected_shortfall(frame["on_hand"], mean, sd)
    frame["short_after"] = expected_shortfall(stock, mean, sd)
    return Plan(as_of, horizon_days, pd.DataFrame(moves, columns=MOVE_COLUMNS), frame)


def require_to_apply(actor: Actor) -> None:
    """``apply_plan``'s own rule, for a page to check before it reads the stock to plan."""
    actor.require("planner", "apply stock re-allocation plans")


def _applied_for(conn, as_of: dt.date):
    """The plan applied for the stock day ``as_of``, or None."""
    table = AllocationPlan.__table__
    return (
        conn.execute(select(table).where(table.c.as_of == as_of, table.c.status == "applied"))
        .mappings()
        .first()
    )


def _already_applied(plan_id: int, as_of: dt.date, by: str) -> AnalyticsError:
    return AnalyticsError(
        f"plan {plan_id} was already applied for the stock of {as_of:%d %b %Y} by {by}; "
        "a new plan can be applied when new stock counts arrive"
    )


def _check_against_stock(conn, plan: Plan) -> None:
    """Refuses a plan for any stock day but the latest, a second plan for a stock day that
    already has one applied, and a plan that moves more than a location holds."""
    inventory = Inventory.__table__
    latest = conn.execute(select(func.max(inventory.c.day))).scalar()
    if latest is None:
        raise AnalyticsError("there is no stock to re-allocate")
    if plan.as_of != latest:
        raise AnalyticsError(
            f"the plan is for the stock of {plan.as_of:%d %b %Y}, but the latest stock counts "
            f"are of {latest:%d %b %Y}"
        )
    applied = _applied_for(conn, latest)
    if applied is not None:
        raise _already_applied(applied["id"], latest, applied["created_by"])
    held = dict(
        ((p, loc), n)
        for p, loc, n in conn.execute(
            select(inventory.c.product_id, inventory.c.location_id, inventory.c.on_hand).where(
                inventory.c.day == latest
            )
        )
    )
    outgoing = plan.moves.groupby(["product_id", "from_location_id"])["units"].sum()
    for (product_id, location_id), units in outgoing.items():
        if units > held.get((int(product_id), int(location_id)), 0):
            raise AnalyticsError(
                f"the plan moves {units} units of product {product_id} out of location "
                f"{location_id}, which holds {held.get((product_id, location_id), 0)}"
            )


def apply_plan(plan: Plan, actor: Actor, url: str | None = None) -> int:
    """Record the plan (moves and expected effect) and its audit entry in one transaction;
    planners and above only. One plan per stock day: a second is refused, and of two applied
    at once the unique index lets one through. Returns the plan id."""
    actor.require("planner", "apply stock re-allocation plans")
    if plan.moves.empty:
        raise AnalyticsError("the plan has no moves to apply")
    if (plan.moves["units"] <= 0).any():
        raise AnalyticsError("every move must carry at least one unit")
    moves = [
        {k: (int(v) if isinstance(v, (int, np.integer)) else v) for k, v in m.items()}
        for m in plan.moves.to_dict("records")
    ]
    effect = {k: round(v, 4) for k, v in plan.effect.items()}
    try:
        with get_engine(url).begin() as conn:
            _check_against_stock(conn, plan)
            plan_id = conn.execute(
                AllocationPlan.__table__.insert()
                .values(
                    created_by=actor.name,
                    as_of=plan.as_of,
                    horizon_days=plan.horizon_days,
                    status="applied",
                    moves=moves,
                    units_moved=plan.units_moved,
                    **effect,
                )
                .returning(AllocationPlan.__table__.c.id)
            ).scalar_one()
            audit.record(
                conn,
                actor.name,
                "allocation.apply",
                "allocation_plan",
                plan_id,
                None,
                {"moves": len(moves), "units": plan.units_moved, **effect},
            )
    except IntegrityError:
        # Another plan for this stock day was applied while this one was checked: the unique
        # index refused the second (the transaction rolled back, nothing written).
        with get_engine(url).connect() as conn:
            applied = _applied_for(conn, plan.as_of)
        if applied is None:
            raise
        raise _already_applied(applied["id"], plan.as_of, applied["created_by"]) from None
    return int(plan_id)


@dataclass(frozen=True)
class AppliedPlan:
    """A plan as it was recorded: who applied it, when, its moves and expected effect."""

    id: int
    as_of: dt.date
    created_by: str
    created_at: dt.datetime
    moves: pd.DataFrame  # MOVE_COLUMNS
    units_moved: int
    effect: dict[str, float]


def applied_plan(as_of: dt.date, url: str | None = None) -> AppliedPlan | None:
    """The plan applied for the stock day ``as_of``, or None while none is."""
    with get_engine(url).connect() as conn:
        row = _applied_for(conn, as_of)
    if row is None:
        return None
    return AppliedPlan(
        row["id"],
        row["as_of"],
        row["created_by"],
        row["created_at"],
        pd.DataFrame(row["moves"], columns=MOVE_COLUMNS),
        row["units_moved"],
        {k: float(row[k]) for k in EFFECTS},
    )
