"""Split a fixed total budget across channels to maximise revenue or margin.

The objective is concave for saturating curves, so the split where every unbounded channel
earns the same marginal return is the optimum; SLSQP (scipy.optimize) finds it under the
per-channel minimums and maximums and the total, starting from the current split and an
even one. The plan is never worse than the current split on the fitted curves: if the
solver returned less, the current split (clipped to the bounds) stands.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from analytics.budget.curves import ResponseCurve
from analytics.errors import AnalyticsError

OBJECTIVES = ("revenue", "margin")
CENT = 0.01
# Beyond any company's marketing budget, and where float sums lose their cents.
MAX_TOTAL = 1e12


@dataclass(frozen=True)
class Allocation:
    channels: tuple[str, ...]
    total: float
    horizon_days: int
    objective: str
    current: np.ndarray  # the current split scaled to the total
    proposed: np.ndarray
    revenue_current: np.ndarray
    revenue_proposed: np.ndarray
    margin_current: np.ndarray  # gross profit of the revenue, less the spend
    margin_proposed: np.ndarray
    uplift: float  # in the objective's unit (revenue or margin) over the horizon
    uplift_low: float  # 90 % interval over the curves' bootstrap draws
    uplift_high: float


def _weights(curves: list[ResponseCurve], objective: str) -> np.ndarray:
    return np.array([c.margin_rate if objective == "margin" else 1.0 for c in curves])


def _objective_value(curves, x, horizon, weights, draw=None) -> float:
    return float(
        sum(
            w * c.revenue(v, horizon, None if draw is None else c.draws[draw])
            for c, v, w in zip(curves, x, weights, strict=True)
        )
    )


def bounds_for(
    channels: list[str], total: float, minimum: dict[str, float], maximum: dict[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel bounds, checked against each other and the total."""
    if not np.isfinite(total) or not 0 < total <= MAX_TOTAL:
        raise AnalyticsError(
            f"the total budget must be a positive amount up to {MAX_TOTAL:,.0f}, got {total:g}"
        )
    unknown = sorted((set(minimum) | set(maximum)) - set(channels))
    if unknown:
        raise AnalyticsError(
            f"unknown channel {unknown[0]!r} in the bounds; channels with spend: "
            f"{', '.join(channels)}"
        )
    low = np.array([float(minimum.get(c, 0.0)) for c in channels])
    high = np.array([float(maximum.get(c, total)) for c in channels])
    if (low < 0).any() or (high < 0).any():
        raise AnalyticsError("minimums and maximums must not be negative")
    if low.sum() > total + CENT / 2:
        raise AnalyticsError(
            f"the total {total:,.2f} is below the sum of the minimums {low.sum():,.2f}"
        )
    bad = np.flatnonzero(low > high)
    if bad.size:
        c = channels[bad[0]]
        raise AnalyticsError(
            f"{c}: the minimum {low[bad[0]]:,.2f} exceeds the maximum {high[bad[0]]:,.2f}"
        )
    if np.minimum(high, total).sum() < total - CENT / 2:
        raise AnalyticsError(
            f"the total {total:,.2f} is above what the maximums allow ({high.sum():,.2f})"
        )
    return low, np.minimum(high, total)


def _fit_to_bounds(x: np.ndarray, low: np.ndarray, high: np.ndarray, total: float) -> np.ndarray:
    """The point of the box closest in shape to ``x`` that sums to the total."""
    x = np.clip(x, low, high)
    for _ in range(100):
        gap = total - x.sum()
        if abs(gap) < 1e-9 * max(total, 1):
            break
        room = (high - x) if gap > 0 else (x - low)
        if room.sum() <= 0:
            break
        x = np.clip(x + gap * room / room.sum(), low, high)
    return x


def optimise_budget(
    curves: list[ResponseCurve],
    current: np.ndarray,
    total: float,
    horizon_days: int,
    objective: str = "revenue",
    minimum: dict[str, float] | None = None,
    maximum: dict[str, float] | None = None,
) -> Allocation:
    """The best split of ``total`` over ``horizon_days`` beside the current one (``current``:
    each channel's recent spend, scaled here to the total)."""
    if objective not in OBJECTIVES:
        raise AnalyticsError(f"unknown objective {objective!r}; choose revenue or margin")
    if horizon_days < 1:
        raise AnalyticsError("the horizon must be at least one day")
    if not curves:
        raise AnalyticsError("no channel has a spend-response curve to optimise")
    channels = [c.channel for c in curves]
    low, high = bounds_for(channels, total, minimum or {}, maximum or {})
    weights = _weights(curves, objective)
    now = _scaled(current, total)
    scale = max(total, 1.0)

    def loss(y):
        return -_objective_value(curves, y * scale, horizon_days, weights) / scale

    def gradient(y):
        return -np.array(
            [
                w * float(c.marginal(v, horizon_days))
                for c, v, w in zip(curves, y * scale, weights, strict=True)
            ]
        )

    best = _fit_to_bounds(now, low, high, total)
    best_value = -loss(best / scale)
    for start in (
        best,
        _fit_to_bounds(np.full(len(curves), total / len(curves)), low, high, total),
    ):
        result = minimize(
            loss,
            start / scale,
            jac=gradient,
            method="SLSQP",
            bounds=list(zip(low / scale, high / scale, strict=True)),
            constraints=[
                {
                    "type": "eq",
                    "fun": lambda y: y.sum() - total / scale,
                    "jac": lambda y: np.ones_like(y),
                }
            ],
            options={"ftol": 1e-12, "maxiter": 500},
        )
        candidate = _fit_to_bounds(result.x * scale, low, high, total)
        value = -loss(candidate / scale)
        if value > best_value:
            best, best_value = candidate, value
    return _allocation(curves, channels, total, horizon_days, objective, now, best, weights)


def _scaled(current: np.ndarray, total: float) -> np.ndarray:
    """The current split's shares applied to ``total`` (even shares when nothing was spent)."""
    current = np.asarray(current, dtype=float)
    if current.sum() <= 0:
        return np.full(len(current), total / len(current))
    return current / current.sum() * total


def evaluate_split(
    curves: list[ResponseCurve],
    current: np.ndarray,
    proposed: np.ndarray,
    horizon_days: int,
    objective: str = "revenue",
) -> Allocation:
    """A split chosen by hand (the planner's what-if) as an allocation beside the current split
    scaled to its total, with the uplift and its interval as ``optimise_budget`` reports them."""
    if objective not in OBJECTIVES:
        raise AnalyticsError(f"unknown objective {objective!r}; choose revenue or margin")
    proposed = np.asarray(proposed, dtype=float)
    if len(proposed) != len(curves):
        raise AnalyticsError("the split must give one amount per channel")
    if not np.isfinite(proposed).all() or (proposed < 0).any():
        raise AnalyticsError("every channel's amount must be a non-negative number")
    total = float(proposed.sum())
    if total <= 0:
        raise AnalyticsError("the split spends nothing: give at least one channel a budget")
    channels = [c.channel for c in curves]
    weights = _weights(curves, objective)
    now = _scaled(current, total)
    return _allocation(curves, channels, total, horizon_days, objective, now, proposed, weights)


def _allocation(curves, channels, total, horizon, objective, now, best, weights) -> Allocation:
    revenue_now = np.array([float(c.revenue(v, horizon)) for c, v in zip(curves, now, strict=True)])
    revenue_new = np.array(
        [float(c.revenue(v, horizon)) for c, v in zip(curves, best, strict=True)]
    )
    rates = np.array([c.margin_rate for c in curves])
    uplift = _objective_value(curves, best, horizon, weights) - _objective_value(
        curves, now, horizon, weights
    )
    draws = min((len(c.draws) for c in curves), default=0)
    spread = [
        _objective_value(curves, best, horizon, weights, d)
        - _objective_value(curves, now, horizon, weights, d)
        for d in range(draws)
    ]
    low, high = np.percentile(spread, [5, 95]) if spread else (uplift, uplift)
    return Allocation(
        channels=tuple(channels),
        total=total,
        horizon_days=horizon,
        objective=objective,
        current=now,
        proposed=best,
        revenue_current=revenue_now,
        revenue_proposed=revenue_new,
        margin_current=rates * revenue_now - now,
        margin_proposed=rates * revenue_new - best,
        uplift=uplift,
        uplift_low=float(low),
        uplift_high=float(high),
    )
