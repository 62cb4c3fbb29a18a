"""The Budget page's data: each channel's spend-response curve with its band, the optimal
split of the budget beside the current one, the what-if starting point and the active plan."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.budget.plans import DEFAULT_HORIZON, BudgetProposal, active_plan, propose_budget
from analytics.budget.whatif import project_split
from analytics.errors import AnalyticsError

CURVE_POINTS = 40


@dataclass(frozen=True)
class BudgetView:
    proposal: BudgetProposal | None
    split: pd.DataFrame  # channel, channel_name, current, proposed, change, revenue…, roas
    curves: pd.DataFrame  # channel, spend, revenue, revenue_low, revenue_high (over horizon)
    active_plan: pd.DataFrame
    message: str = ""

    @property
    def uplift(self) -> tuple[float, float, float] | None:
        if self.proposal is None:
            return None
        a = self.proposal.allocation
        return a.uplift, a.uplift_low, a.uplift_high


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


def build_budget(
    total: float | None = None,
    objective: str = "revenue",
    minimum: dict[str, float] | None = None,
    maximum: dict[str, float] | None = None,
    horizon_days: int = DEFAULT_HORIZON,
    url: str | None = None,
) -> BudgetView:
    """``total`` defaults to what was spent over the last ``horizon_days``."""
    try:
        proposal = propose_budget(total, objective, minimum, maximum, horizon_days, url)
    except AnalyticsError as exc:
        return BudgetView(None, pd.DataFrame(), pd.DataFrame(), active_plan(url), str(exc))
    a = proposal.allocation
    now = project_split(
        proposal.curves, dict(zip(a.channels, a.current, strict=True)), horizon_days
    )
    new = project_split(
        proposal.curves, dict(zip(a.channels, a.proposed, strict=True)), horizon_days
    )
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
    return BudgetView(proposal, split, _curve_points(proposal), active_plan(url))
