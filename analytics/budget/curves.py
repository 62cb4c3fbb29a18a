"""Spend-response curves per channel: geometric adstock, then a saturation curve.

Spend works on after the day it is made: the adstocked spend is ``a_t = s_t + λ·a_{t−1}``,
and revenue follows a diminishing-returns curve of it (``forecasting.saturation``, fitted as
the Forecasts page fits it). The decay ``λ`` is the one of ``DECAYS`` whose fit explains
revenue best. Held at a steady daily spend ``s``, the adstock settles at ``s / (1 − λ)``, so
over a horizon of ``H`` days a budget ``B`` buys ``H·f(B / H / (1 − λ))`` of revenue.

The curve's uncertainty comes from refitting it on bootstrap resamples of the days: each
draw is a plausible curve, and any figure computed on every draw (the revenue of a split,
the uplift of a plan) gets its interval from their spread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from analytics.errors import AnalyticsError
from forecasting.errors import ForecastingError
from forecasting.saturation import SaturationCurve
from forecasting.saturation import fit_saturation

DECAYS = (0.0, 0.2, 0.4, 0.6)
DRAWS = 20
FORM = "exponential"


def adstock(spend: ArrayLike, decay: float) -> np.ndarray:
    out = np.asarray(spend, dtype=float).copy()
    for t in range(1, len(out)):
        out[t] += decay * out[t - 1]
    return out


@dataclass(frozen=True)
class ResponseCurve:
    """Revenue over a horizon as a function of the budget a channel gets in it."""

    channel: str
    curve: SaturationCurve
    decay: float
    draws: tuple[SaturationCurve, ...] = ()
    margin_rate: float = 1.0  # gross profit per unit of revenue

    def revenue(self, budget: ArrayLike, horizon: int, curve: SaturationCurve | None = None):
        daily = np.asarray(budget, dtype=float) / horizon / (1 - self.decay)
        return horizon * (curve or self.curve).response(daily)

    def marginal(self, budget: ArrayLike, horizon: int, curve: SaturationCurve | None = None):
        """Extra revenue per extra unit of budget."""
        daily = np.asarray(budget, dtype=float) / horizon / (1 - self.decay)
        return (curve or self.curve).marginal(daily) / (1 - self.decay)

    def band(self, budget: float, horizon: int, level: float = 0.9) -> tuple[float, float]:
        """The ``level`` interval of the revenue a budget buys, over the bootstrap draws."""
        if not self.draws:
            value = float(self.revenue(budget, horizon))
            return value, value
        values = [float(self.revenue(budget, horizon, d)) for d in self.draws]
        tail = (1 - level) / 2 * 100
        return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))


def fit_response(
    channel: str,
    spend: ArrayLike,
    revenue: ArrayLike,
    margin_rate: float = 1.0,
    draws: int = DRAWS,
    seed: int = 0,
) -> ResponseCurve:
    """The best adstock decay and saturation curve of a channel's daily spend and revenue."""
    spend, revenue = np.asarray(spend, dtype=float), np.asarray(revenue, dtype=float)
    best = None
    for decay in DECAYS:
        try:
            curve = fit_saturation(adstock(spend, decay), revenue, FORM)
        except ForecastingError as exc:
            raise AnalyticsError(f"{channel}: {exc}") from None
        if best is None or curve.r_squared > best[1].r_squared:
            best = (decay, curve)
    decay, curve = best
    stocked = adstock(spend, decay)
    rng = np.random.default_rng(seed)
    resampled = []
    for _ in range(draws):
        pick = rng.integers(0, len(spend), len(spend))
        try:
            resampled.append(fit_saturation(stocked[pick], revenue[pick], FORM))
        except ForecastingError:
            continue
    return ResponseCurve(channel, curve, decay, tuple(resampled), margin_rate)
