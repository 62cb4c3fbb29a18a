"""The margin-maximising price of a channel under a volume floor, from its elasticity.

With constant-elasticity demand ``q(r) = q0·rᵉ`` for a price ``r`` times the current one,
revenue is ``R0·r^(1+ε)`` and margin ``R0·r^(1+ε) − C0·rᵉ`` (``R0``, ``C0``: current revenue
and cost of goods). For ``ε < −1`` the margin peaks at ``r* = (C0/R0)·ε/(1+ε)`` (the Lerner
rule); for inelastic demand it grows with price until the volume floor ``q ≥ floor·q0``
stops it at ``r = floor^(1/ε)``, which grows without bound as ε nears 0. The move is kept
within ``max_change`` of today's price, the range the data has seen: a curve fitted on a few
percent of price variation says nothing about a doubling. The range of recommended prices is
the optimum at both ends of the elasticity's 95 % interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from analytics.errors import AnalyticsError
from analytics.pricing.elasticity import Elasticity

DEFAULT_VOLUME_FLOOR = 0.95
DEFAULT_MAX_CHANGE = 0.15


@dataclass(frozen=True)
class PriceRecommendation:
    elasticity: Elasticity
    current_price: float
    unit_cost: float
    units: float
    price_change: float  # relative: 0.05 = raise prices by 5 %
    change_low: float
    change_high: float
    units_change: float
    revenue_change: float
    margin_change: float
    warning: str  # why the recommendation should not be acted on ("" when it can)

    @property
    def actionable(self) -> bool:
        return not self.warning and abs(self.price_change) > 1e-9 and self.margin_change > 0


def _floor_ratio(elasticity: float, floor: float, cap: float) -> float:
    """The highest price ratio that keeps ``floor`` of the units, ``floor^(1/ε)`` for ``ε < 0``,
    but at most ``cap``: compared in log space, where a near-zero ε cannot overflow."""
    log_ratio = math.log(floor) / elasticity
    return cap if log_ratio >= math.log(cap) else math.exp(log_ratio)


def _best_ratio(elasticity: float, cost_share: float, floor: float, max_change: float) -> float:
    upper = 1 + max_change
    if elasticity < 0:
        upper = _floor_ratio(elasticity, floor, upper)
    best = cost_share * elasticity / (1 + elasticity) if elasticity < -1 else np.inf
    return float(np.clip(best, 1 - max_change, max(upper, 1 - max_change)))


def _effects(ratio: float, elasticity: float, units: float, revenue: float, cost: float):
    scale = ratio**elasticity
    return (
        units * (scale - 1),
        revenue * (ratio * scale - 1),
        (revenue * ratio - cost) * scale - (revenue - cost),
    )


def recommend_price(
    elasticity: Elasticity,
    current_price: float,
    unit_cost: float,
    units: float,
    volume_floor: float = DEFAULT_VOLUME_FLOOR,
    max_change: float = DEFAULT_MAX_CHANGE,
) -> PriceRecommendation:
    """The price move that maximises margin while keeping ``volume_floor`` of today's units;
    ``units`` are today's volume over the horizon the effects are wanted for."""
    if not 0 < volume_floor <= 1:
        raise AnalyticsError(f"the volume floor must be a share in (0, 1], got {volume_floor}")
    if not 0 < max_change < 1:
        raise AnalyticsError(f"the largest price change must be in (0, 1), got {max_change}")
    if current_price <= 0 or unit_cost < 0 or units <= 0:
        raise AnalyticsError("price, unit cost and units must be positive")
    cost_share = unit_cost / current_price
    ratio = _best_ratio(elasticity.elasticity, cost_share, volume_floor, max_change)
    ends = sorted(
        _best_ratio(e, cost_share, volume_floor, max_change)
        for e in (elasticity.ci_low, elasticity.ci_high)
    )
    revenue, cost = current_price * units, unit_cost * units
    units_change, revenue_change, margin_change = _effects(
        ratio, elasticity.elasticity, units, revenue, cost
    )
    warning = elasticity.warning
    if not warning and elasticity.elasticity >= 0:
        warning = "the estimated demand does not fall with price"
    return PriceRecommendation(
        elasticity=elasticity,
        current_price=current_price,
        unit_cost=unit_cost,
        units=units,
        price_change=ratio - 1,
        change_low=ends[0] - 1,
        change_high=ends[1] - 1,
        units_change=units_change,
        revenue_change=revenue_change,
        margin_change=margin_change,
        warning=warning,
    )
