"""Budget plans from the data, and the command that applies one.

``propose_budget`` fits a response curve per channel with marketing spend (the last
``HISTORY_DAYS`` of daily spend and net revenue) and splits a total over the next
``horizon_days`` against the split of the last ``horizon_days``. A channel whose data cannot
carry a curve (too few days, spend that never varies) gets no share and its reason.

``apply_budget_plan`` is the one way a plan is written: it checks the actor's role, validates
the split, supersedes the active plan and writes the new version, its lines and the audit
entry in one transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from dataclasses import field
from decimal import ROUND_HALF_UP
from decimal import Decimal

import numpy as np
import pandas as pd
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from analytics.budget.curves import ResponseCurve
from analytics.budget.curves import fit_response
from analytics.budget.extrapolation import SpendRange
from analytics.budget.extrapolation import spend_ranges
from analytics.budget.optimise import CENT
from analytics.budget.optimise import OBJECTIVES
from analytics.budget.optimise import Allocation
from analytics.budget.optimise import optimise_budget
from analytics.errors import AnalyticsError
from analytics.periods import Period
from analytics.rollup import channel_options
from analytics.rollup import rollup_sums
from db import audit
from db.budget_tables import BudgetPlan
from db.budget_tables import BudgetPlanLine
from db.engine import get_engine
from db.roles import Actor
from db.schema import Touchpoint
from forecasting.data import spend_and_revenue

HISTORY_DAYS = 365
DEFAULT_HORIZON = 28
# A total beyond this multiple of the most the channels ever spent in a horizon is flagged:
# the curves never saw spend near it, so their shape there is extrapolation.
BEYOND_HISTORY = 2.0


@dataclass(frozen=True)
class BudgetProposal:
    allocation: Allocation
    curves: tuple[ResponseCurve, ...]
    names: dict[str, str]  # channel code → display name
    no_curve: dict[str, str] = field(default_factory=dict)  # channel → why it has none
    most_spent: float = 0.0  # the most the channels spent together in any horizon of history
    spend_ranges: dict[str, SpendRange] = field(default_factory=dict)  # each channel's own

    @property
    def beyond_history(self) -> bool:
        return beyond_history(self.allocation.total, self.most_spent)


def beyond_history(total: float, most_spent: float) -> bool:
    """Whether ``total`` is far beyond any spend the curves were fitted on."""
    return total > BEYOND_HISTORY * most_spent


def channel_curves(
    url: str | None = None, history_days: int = HISTORY_DAYS
) -> tuple[list[ResponseCurve], pd.DataFrame, dict[str, str]]:
    """The fitted curves, the daily spend frame they came from, and the channels without one."""
    frame = spend_and_revenue(url)
    if frame.empty:
        raise AnalyticsError(
            "no marketing spend is recorded yet: load it as a file of kind 'spend' (Upload data, "
            "or `channelperf ingest file`)"
        )
    last = frame["ds"].max()
    frame = frame[frame["ds"] > last - pd.Timedelta(days=history_days)]
    period = Period(frame["ds"].min().date(), last.date())
    sums = rollup_sums(period, ("touchpoint",), url=url).set_index("touchpoint")
    rate = (sums["gross_profit"] / sums["revenue"].where(sums["revenue"] > 0)).fillna(0.0)
    curves, no_curve = [], {}
    live = set(channel_options(url, active_only=True)["touchpoint"])
    for channel, part in frame.groupby("touchpoint", sort=True):
        if channel not in live:
            no_curve[channel] = "retired: no budget goes to a retired channel"
            continue
        try:
            curves.append(
                fit_response(
                    channel,
                    part["spend"].to_numpy(float),
                    part["revenue"].to_numpy(float),
                    margin_rate=float(rate.get(channel, 0.0)),
                )
            )
        except AnalyticsError as exc:
            no_curve[channel] = str(exc).removeprefix(f"{channel}: ")
    return curves, frame, no_curve


def propose_budget(
    total: float | None,
    objective: str = "revenue",
    minimum: dict[str, float] | None = None,
    maximum: dict[str, float] | None = None,
    horizon_days: int = DEFAULT_HORIZON,
    url: str | None = None,
) -> BudgetProposal:
    """The best split of ``total`` (default: what the last ``horizon_days`` spent)."""
    curves, frame, no_curve = channel_curves(url)
    last = frame["ds"].max()
    recent = frame[frame["ds"] > last - pd.Timedelta(days=horizon_days)]
    spent = recent.groupby("touchpoint")["spend"].sum()
    current = np.array([float(spent.get(c.channel, 0.0)) for c in curves])
    if total is None:
        total = float(current.sum())
        if total <= 0:
            raise AnalyticsError(f"nothing was spent in the last {horizon_days} days: give a total")
    allocation = optimise_budget(curves, current, total, horizon_days, objective, minimum, maximum)
    names = frame.drop_duplicates("touchpoint").set_index("touchpoint")["touchpoint_name"]
    fitted = frame[frame["touchpoint"].isin([c.channel for c in curves])]
    return BudgetProposal(
        allocation,
        tuple(curves),
        names.to_dict(),
        no_curve,
        _most_spent(fitted, horizon_days),
        spend_ranges(fitted, horizon_days),
    )


def _most_spent(frame: pd.DataFrame, horizon_days: int) -> float:
    """The largest spend of all the channels together over any ``horizon_days`` days."""
    daily = frame.groupby("ds")["spend"].sum().asfreq("D", fill_value=0.0)
    return float(daily.rolling(horizon_days, min_periods=1).sum().max()) if len(daily) else 0.0


def to_cents(amounts: np.ndarray, total: float) -> list[Decimal]:
    """Amounts rounded to cents that still add up to the total (largest remainders)."""
    cents = np.asarray(amounts, dtype=float) * 100
    floor = np.floor(cents)
    short = int(round(total * 100 - floor.sum()))
    order = np.argsort(-(cents - floor), kind="stable")
    floor[order[: max(short, 0)]] += 1
    return [Decimal(int(c)) / 100 for c in floor]


def _check_allocation(allocation: Allocation) -> None:
    if allocation.objective not in OBJECTIVES:
        raise AnalyticsError(f"unknown objective {allocation.objective!r}")
    if allocation.horizon_days < 1:
        raise AnalyticsError("the horizon must be at least one day")
    proposed = np.asarray(allocation.proposed, dtype=float)
    if len(proposed) != len(allocation.channels) or not len(proposed):
        raise AnalyticsError("the plan must give one amount per channel")
    if not np.isfinite(proposed).all() or (proposed < 0).any():
        raise AnalyticsError("every channel's amount must be a non-negative number")
    if not np.isfinite(allocation.total) or allocation.total <= 0:
        raise AnalyticsError("the plan's total must be positive")
    if abs(proposed.sum() - allocation.total) > CENT:
        raise AnalyticsError(
            f"the amounts add up to {proposed.sum():,.2f}, not the total {allocation.total:,.2f}"
        )
    if len(set(allocation.channels)) != len(allocation.channels):
        raise AnalyticsError("a channel appears twice in the plan")


def apply_budget_plan(allocation: Allocation, actor: Actor, url: str | None = None) -> int:
    """Write the plan as the next version (the active one) with its audit entry; returns the
    version. Planners and above only."""
    actor.require("planner", "apply budget plans (planners and above)")
    _check_allocation(allocation)
    total = Decimal(str(allocation.total)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    amounts = to_cents(allocation.proposed, float(total))
    currents = [Decimal(str(round(float(v), 2))) for v in allocation.current]
    plan, line = BudgetPlan.__table__, BudgetPlanLine.__table__
    touchpoint = Touchpoint.__table__
    try:
        with get_engine(url).begin() as conn:
            ids = dict(
                conn.execute(
                    select(touchpoint.c.code, touchpoint.c.id).where(
                        touchpoint.c.code.in_(allocation.channels)
                    )
                ).all()
            )
            unknown = [c for c in allocation.channels if c not in ids]
            if unknown:
                raise AnalyticsError(f"unknown channel {unknown[0]!r}")
            query = select(plan.c.version, plan.c.total).where(plan.c.status == "active")
            if conn.dialect.name == "postgresql":
                query = query.with_for_update()
            active = conn.execute(query).first()
            version = (conn.execute(select(func.max(plan.c.version))).scalar() or 0) + 1
            conn.execute(update(plan).where(plan.c.status == "active").values(status="superseded"))
            plan_id = conn.execute(
                plan.insert()
                .values(
                    version=version,
                    status="active",
                    created_at=dt.datetime.now(dt.UTC),
                    created_by=actor.name,
                    objective=allocation.objective,
                    horizon_days=allocation.horizon_days,
                    total=total,
                    expected_uplift=float(allocation.uplift),
                    uplift_low=float(allocation.uplift_low),
                    uplift_high=float(allocation.uplift_high),
                )
                .returning(plan.c.id)
            ).scalar_one()
            conn.execute(
                line.insert(),
                [
                    {
                        "plan_id": plan_id,
                        "touchpoint_id": ids[channel],
                        "amount": amount,
                        "current_amount": current,
                        "expected_revenue": float(revenue),
                    }
                    for channel, amount, current, revenue in zip(
                        allocation.channels,
                        amounts,
                        currents,
                        allocation.revenue_proposed,
                        strict=True,
                    )
                ],
            )
            audit.record(
                conn,
                actor.name,
                "budget.apply",
                "budget_plan",
                version,
                {"version": active.version, "total": str(active.total)} if active else None,
                {
                    "version": version,
                    "objective": allocation.objective,
                    "total": str(total),
                    "amounts": {
                        c: str(a) for c, a in zip(allocation.channels, amounts, strict=True)
                    },
                    "expected_uplift": round(float(allocation.uplift), 2),
                },
            )
    except IntegrityError:
        # Another plan took this version first (the transaction rolled back): nothing written.
        raise AnalyticsError(
            "another budget plan was applied at the same time; try again"
        ) from None
    return version


def active_plan(url: str | None = None) -> pd.DataFrame:
    """The active plan's lines: ``version, channel, channel_name, amount, current_amount,
    expected_revenue``."""
    plan, line, touchpoint = BudgetPlan.__table__, BudgetPlanLine.__table__, Touchpoint.__table__
    query = (
        select(
            plan.c.version,
            touchpoint.c.code.label("channel"),
            touchpoint.c.name.label("channel_name"),
            line.c.amount,
            line.c.current_amount,
            line.c.expected_revenue,
        )
        .join(line, line.c.plan_id == plan.c.id)
        .join(touchpoint, touchpoint.c.id == line.c.touchpoint_id)
        .where(plan.c.status == "active")
        .order_by(touchpoint.c.code)
    )
    with get_engine(url).connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all())


def plan_versions(url: str | None = None) -> pd.DataFrame:
    """Every applied plan, newest first: ``version, status, created_at, created_by, objective,
    horizon_days, total, expected_uplift, uplift_low, uplift_high``."""
    plan = BudgetPlan.__table__
    columns = [
        plan.c.version,
        plan.c.status,
        plan.c.created_at,
        plan.c.created_by,
        plan.c.objective,
        plan.c.horizon_days,
        plan.c.total,
        plan.c.expected_uplift,
        plan.c.uplift_low,
        plan.c.uplift_high,
    ]
    with get_engine(url).connect() as conn:
        rows = conn.execute(select(*columns).order_by(plan.c.version.desc())).mappings().all()
    return pd.DataFrame(rows, columns=[c.name for c in columns])
