"""The Budget page's data: each channel's spend-response curve with its band, the optimal
split of the budget beside the current one, the what-if projection of a split the planner
chooses, the active plan and every applied version.

Fitting the curves takes seconds, and the page asks for the same proposal again on every
what-if move and on "Apply plan": proposals are cached by their arguments and the time data
last changed (an ingest run), so a new batch makes them stale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.budget.extrapolation import SpendRange
from analytics.budget.optimise import Allocation
from analytics.budget.optimise import evaluate_split
from analytics.budget.plans import DEFAULT_HORIZON
from analytics.budget.plans import BudgetProposal
from analytics.budget.plans import active_plan
from analytics.budget.plans import beyond_history
from analytics.budget.plans import plan_versions
from analytics.budget.plans import propose_budget
from analytics.budget.whatif import project_split
from analytics.budget.whatif import roas
from analytics.cache import memoise
from analytics.errors import AnalyticsError
from analytics.rollup import data_as_of

CURVE_POINTS = 40
Bounds = dict[str, float]


@dataclass(frozen=True)
class BudgetView:
    proposal: BudgetProposal | None
    split: pd.DataFrame  # channel, channel_name, current, proposed, change, revenue…, roas
    curves: pd.DataFrame  # channel, spend, revenue, revenue_low, revenue_high (over horizon)
    active_plan: pd.DataFrame
    message: str = ""
    versions: pd.DataFrame | None = None  # analytics.budget.plans.plan_versions

    @property
    def uplift(self) -> tuple[float, float, float] | None:
        if self.proposal is None:
            return None
        a = self.proposal.allocation
        return a.uplift, a.uplift_low, a.uplift_high


@memoise(periods=lambda _arguments: ())
def _cached_proposal(as_of, total, objective, minimum, maximum, horizon_days, url=None):
    return propose_budget(total, objective, dict(minimum), dict(maximum), horizon_days, url)


def proposal_for(
    total: float | None = None,
    objective: str = "revenue",
    minimum: Bounds | None = None,
    maximum: Bounds | None = None,
    horizon_days: int = DEFAULT_HORIZON,
    url: str | None = None,
) -> BudgetProposal:
    """``propose_budget``, cached until the data next changes."""
    bounds = tuple(sorted((minimum or {}).items())), tuple(sorted((maximum or {}).items()))
    return _cached_proposal(data_as_of(url), total, objective, *bounds, horizon_days, url)


def _curve_points(proposal: BudgetProposal) -> pd.DataFrame:
    a = proposal.allocation
    frames = []
    for curve, now, new in zip(proposal.curves, a.current, a.proposed, strict=True):
        top = max(now, new, 1.0) * 1.6
        grid = np.linspace(0.0, top, CURVE_POINTS)
        bands = np.array([curve.band(x, a.horizon_days) for x in grid])
        frames.append(
            pd.DataFrame(
                {
                    "channel": curve.channel,
                    "spend": grid,
                    "revenue": curve.revenue(grid, a.horizon_days),
                    "revenue_low": bands[:, 0],
                    "revenue_high": bands[:, 1],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _projected(proposal: BudgetProposal, amounts, horizon_days: int) -> pd.DataFrame:
    """``project_split`` of ``amounts`` given in the order of the proposal's channels."""
    channels = proposal.allocation.channels
    return project_split(proposal.curves, dict(zip(channels, amounts, strict=True)), horizon_days)


def build_budget(url: str | None = None, **question) -> BudgetView:
    """The page for ``question``, :func:`proposal_for`'s total, objective, bounds and horizon
    (``total`` defaults to what was spent over the last ``horizon_days``)."""
    try:
        proposal = proposal_for(url=url, **question)
    except AnalyticsError as exc:
        return BudgetView(
            None, pd.DataFrame(), pd.DataFrame(), active_plan(url), str(exc), plan_versions(url)
        )
    a = proposal.allocation
    now = _projected(proposal, a.current, a.horizon_days)
    new = _projected(proposal, a.proposed, a.horizon_days)
    split = pd.DataFrame(
        {
            "channel": a.channels,
            "channel_name": [proposal.names.get(c, c) for c in a.channels],
            "current": a.current,
            "proposed": a.proposed,
            "change": a.proposed - a.current,
            "revenue_current": now["revenue"].to_numpy(),
            "revenue_proposed": new["revenue"].to_numpy(),
            "revenue_proposed_low": new["revenue_low"].to_numpy(),
            "revenue_proposed_high": new["revenue_high"].to_numpy(),
            "margin_current": now["margin"].to_numpy(),
            "margin_proposed": new["margin"].to_numpy(),
            "roas_current": now["roas"].to_numpy(),
            "roas_proposed": new["roas"].to_numpy(),
        }
    )
    return BudgetView(
        proposal, split, _curve_points(proposal), active_plan(url), versions=plan_versions(url)
    )


@dataclass(frozen=True)
class WhatIfView:
    allocation: Allocation  # the chosen split beside the current one scaled to its total
    projection: pd.DataFrame  # analytics.budget.whatif.PROJECTION_COLUMNS + channel_name
    totals: dict[str, float]  # spend, revenue, margin, roas of the chosen split
    current: dict[str, float]  # the same for the current split scaled to its total
    most_spent: float  # the most the channels spent together in any horizon of history
    spend_ranges: dict[str, SpendRange]  # each channel's, as BudgetProposal has them
    names: dict[str, str]  # channel code → display name

    @property
    def beyond_history(self) -> bool:
        return beyond_history(self.allocation.total, self.most_spent)


def _totals(projection: pd.DataFrame) -> dict[str, float]:
    spend, revenue = float(projection["spend"].sum()), float(projection["revenue"].sum())
    return {
        "spend": spend,
        "revenue": revenue,
        "margin": float(projection["margin"].sum()),
        "roas": roas(revenue, spend),
    }


def build_whatif(amounts: Bounds, url: str | None = None, **question) -> WhatIfView:
    """What the planner's split (``amounts`` per channel with a curve) buys over the horizon,
    on the curves of the proposal for ``question`` (as :func:`build_budget` takes it); a split
    outside a channel's bounds or missing a channel is refused."""
    proposal = proposal_for(url=url, **question)
    horizon_days = proposal.allocation.horizon_days
    channels = proposal.allocation.channels
    names = proposal.names
    missing = [c for c in channels if c not in amounts]
    if missing:
        raise AnalyticsError(f"the split gives no amount for {names.get(missing[0], missing[0])}")
    projection = project_split(proposal.curves, amounts, horizon_days)
    for channel, spend in zip(projection["channel"], projection["spend"], strict=True):
        low = (question.get("minimum") or {}).get(channel, 0.0)
        high = (question.get("maximum") or {}).get(channel)
        if spend < low - 0.005 or (high is not None and spend > high + 0.005):
            bound = f"minimum {low:,.2f}" if spend < low else f"maximum {high:,.2f}"
            raise AnalyticsError(f"{names.get(channel, channel)}: {spend:,.2f} breaks its {bound}")
    allocation = evaluate_split(
        list(proposal.curves),
        proposal.allocation.current,
        projection["spend"].to_numpy(),
        horizon_days,
        proposal.allocation.objective,
    )
    current = _projected(proposal, allocation.current, horizon_days)
    projection.insert(1, "channel_name", [names.get(c, c) for c in projection["channel"]])
    return WhatIfView(
        allocation,
        projection,
        _totals(projection),
        _totals(current),
        proposal.most_spent,
        proposal.spend_ranges,
        names,
    )
