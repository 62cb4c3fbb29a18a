"""Intermittent demand: Croston's method and its two usual corrections, for series with many
days without a sale (a B2B portal, a small store's single product).

Each keeps exponentially smoothed estimates (smoothing constant ``alpha``, 0.1 as in the
literature) updated as in Syntetos & Boylan (2005) and Teunter, Syntetos & Babai (2011):

* ``croston``: demand size ``z`` and interval ``p`` between demands, updated on demand days
  only; forecast ``z / p``;
* ``sba``: Syntetos–Boylan's bias correction ``(1 - alpha / 2) · z / p``;
* ``tsb``: demand probability ``d`` updated every day (towards 1 on a demand day, 0 otherwise),
  size ``z`` on demand days; forecast ``d · z``, so a series that stops selling fades out.

The estimates start at the first demand: ``z`` its size, ``p`` its position (1-based), ``d``
the share of demand days. A series without any demand forecasts zero.
"""

from __future__ import annotations

import numpy as np

from forecasting.models.local import LocalModel
from forecasting.models.local import growing_sigma

ALPHA = 0.1


def croston_state(y: np.ndarray, alpha: float = ALPHA) -> tuple[float, float]:
    """Croston's smoothed demand size and inter-demand interval after the last value."""
    demand_days = np.flatnonzero(y != 0)
    if demand_days.size == 0:
        return 0.0, 1.0
    size, interval = float(y[demand_days[0]]), float(demand_days[0] + 1)
    for previous, day in zip(demand_days[:-1], demand_days[1:], strict=True):
        size += alpha * (y[day] - size)
        interval += alpha * ((day - previous) - interval)
    return size, interval


def tsb_state(y: np.ndarray, alpha: float = ALPHA, beta: float = ALPHA) -> tuple[float, float]:
    """TSB's smoothed demand probability and size after the last value."""
    demand_days = np.flatnonzero(y != 0)
    if demand_days.size == 0:
        return 0.0, 0.0
    probability, size = float(np.mean(y != 0)), float(y[demand_days[0]])
    for value in y[demand_days[0] + 1 :]:
        occurred = value != 0
        probability += beta * (occurred - probability)
        if occurred:
            size += alpha * (value - size)
    return probability, size


def one_step_forecasts(y: np.ndarray, rate) -> np.ndarray:
    """In-sample one-step forecasts ``rate(y[:t])`` for t = 1 … n-1 (for the residuals)."""
    return np.array([rate(y[:t]) for t in range(1, len(y))])


class Croston(LocalModel):
    name = "croston"
    min_history = 2
    max_seasons = 26

    def __init__(self, *args, alpha: float = ALPHA, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.alpha = alpha

    def rate(self, y: np.ndarray) -> float:
        size, interval = croston_state(y, self.alpha)
        return size / interval

    def fit_one(self, y: np.ndarray, season: int):
        tail = y[-4 * max(season, 7) :]
        residuals = tail[1:] - one_step_forecasts(tail, self.rate)
        return self.rate(y), residuals

    def forecast_one(self, state, horizon: int):
        rate, residuals = state
        return np.full(horizon, rate), growing_sigma(residuals, 1).repeat(horizon)


class SBA(Croston):
    name = "sba"

    def rate(self, y: np.ndarray) -> float:
        return (1 - self.alpha / 2) * super().rate(y)


class TSB(Croston):
    name = "tsb"

    def rate(self, y: np.ndarray) -> float:
        probability, size = tsb_state(y, self.alpha, self.alpha)
        return probability * size


def zero_share(y: np.ndarray) -> float:
    return float(np.mean(np.asarray(y) == 0)) if len(y) else 0.0
