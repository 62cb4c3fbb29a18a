"""Stock-out risk from a daily demand forecast.

A stock-out by day t means cumulative demand over days 1..t reaches the stock on hand.
The demand of a day comes either as mean and standard deviation (normal, days
independent), as a Poisson mean, or as sample paths (rows are paths, columns days).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from forecasting.errors import ForecastingError
from forecasting.models.base import interval_quantiles
from forecasting.series import DS
from forecasting.series import LOWER
from forecasting.series import UPPER
from forecasting.series import YHAT


@dataclass(frozen=True)
class StockoutRisk:
    on_hand: float
    probability_by_day: np.ndarray
    """P(stock-out on or before day t) for t = 1..H."""
    days_of_cover: float
    start: pd.Timestamp | None = None
    """The date of day 1, when known."""

    @property
    def horizon(self) -> int:
        return len(self.probability_by_day)

    @property
    def probability(self) -> float:
        """P(stock-out within the H forecast days)."""
        return float(self.probability_by_day[-1])

    @property
    def expected_day(self) -> float | None:
        """E[stock-out day | stock-out within H] (day 1 = first forecast day); None if the
        probability is zero."""
        if self.probability <= 0:
            return None
        on_day = np.diff(self.probability_by_day, prepend=0.0)
        days = np.arange(1, self.horizon + 1)
        return float(np.sum(days * on_day) / self.probability)

    @property
    def expected_date(self) -> pd.Timestamp | None:
        """The date of ``expected_day`` rounded to a whole day, when ``start`` is known."""
        if self.start is None or self.expected_day is None:
            return None
        return self.start + pd.Timedelta(days=round(self.expected_day) - 1)


def days_of_cover(on_hand: float, mean_daily: ArrayLike) -> float:
    """Days the stock lasts at the forecast mean demand, fractional within the last day.

    Past the forecast the mean of its last 7 days continues; zero demand lasts for ever.
    """
    mean = np.asarray(mean_daily, dtype=float)
    if on_hand <= 0:
        return 0.0
    cumulative = np.cumsum(np.maximum(mean, 0.0))
    reached = np.nonzero(cumulative >= on_hand)[0]
    if reached.size:
        day = int(reached[0])
        before = cumulative[day - 1] if day else 0.0
        return day + (on_hand - before) / (cumulative[day] - before)
    tail = float(np.mean(np.maximum(mean[-7:], 0.0)))
    if tail == 0:
        return float("inf")
    return len(mean) + (on_hand - cumulative[-1]) / tail


def stockout_risk(
    on_hand: float,
    mean: ArrayLike | None = None,
    sd: ArrayLike | None = None,
    *,
    samples: ArrayLike | None = None,
    distribution: str = "normal",
    start: pd.Timestamp | None = None,
) -> StockoutRisk:
    """Stock-out probabilities by day from ``mean`` (+ ``sd`` for ``normal``; the mean alone
    for ``poisson``) or from ``samples`` of shape (paths, days)."""
    if samples is not None:
        paths = np.asarray(samples, dtype=float)
        if paths.ndim != 2 or paths.size == 0:
            raise ForecastingError("samples must be a non-empty (paths, days) array")
        reached = np.cumsum(paths, axis=1) >= on_hand
        by_day = reached.mean(axis=0)
        mean_path = paths.mean(axis=0)
    else:
        if mean is None:
            raise ForecastingError("give either the daily demand mean or sample paths")
        mean_path = np.asarray(mean, dtype=float)
        cumulative = np.cumsum(mean_path)
        if distribution == "poisson":
            by_day = stats.poisson.sf(np.ceil(on_hand) - 1, cumulative)
        elif distribution == "normal":
            if sd is None:
                raise ForecastingError("normal demand needs the daily standard deviation")
            spread = np.sqrt(np.cumsum(np.asarray(sd, dtype=float) ** 2))
            by_day = stats.norm.sf(on_hand, loc=cumulative, scale=np.maximum(spread, 1e-12))
        else:
            raise ForecastingError(f"unknown demand distribution {distribution!r}")
    if on_hand <= 0:
        by_day = np.ones_like(mean_path)
    return StockoutRisk(
        float(on_hand),
        np.maximum.accumulate(np.asarray(by_day, dtype=float)),
        days_of_cover(on_hand, mean_path),
        start,
    )


def sd_from_interval(lower: ArrayLike, upper: ArrayLike, level: int = 80) -> np.ndarray:
    """The normal standard deviation implied by a central ``level`` % interval."""
    _, q_high = interval_quantiles(level)
    width = np.asarray(upper, dtype=float) - np.asarray(lower, dtype=float)
    return np.maximum(width, 0.0) / (2 * stats.norm.ppf(q_high))


def risk_from_forecast(on_hand: float, forecast: pd.DataFrame, level: int = 80) -> StockoutRisk:
    """Stock-out risk of one series' forecast (``ds, yhat, yhat_lower, yhat_upper``), demand
    taken as normal with the sd its interval implies."""
    forecast = forecast.sort_values(DS)
    return stockout_risk(
        on_hand,
        np.maximum(forecast[YHAT].to_numpy(), 0.0),
        sd_from_interval(forecast[LOWER], forecast[UPPER], level),
        start=pd.Timestamp(forecast[DS].iloc[0]),
    )
