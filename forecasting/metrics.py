"""Forecast accuracy metrics. Errors are ``forecast - actual``: a positive bias over-forecasts."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from forecasting.errors import ForecastingError


def _arrays(*values: ArrayLike) -> list[np.ndarray]:
    arrays = [np.asarray(v, dtype=float) for v in values]
    if len({a.shape for a in arrays}) != 1:
        raise ForecastingError(f"metric inputs differ in length: {[a.shape for a in arrays]}")
    if arrays[0].size == 0:
        raise ForecastingError("metric inputs are empty")
    return arrays


def seasonal_naive_mae(y_train: ArrayLike, season: int = 7) -> float:
    """In-sample mean absolute error of the seasonal naive forecast ``y_t = y_{t-season}``."""
    y = np.asarray(y_train, dtype=float)
    if y.size <= season:
        raise ForecastingError(f"MASE needs more than {season} training values, got {y.size}")
    return float(np.mean(np.abs(y[season:] - y[:-season])))


def mase(y_true: ArrayLike, y_pred: ArrayLike, y_train: ArrayLike, season: int = 7) -> float:
    """Mean absolute error scaled by the in-sample seasonal-naive MAE (Hyndman & Koehler).

    A perfectly periodic training series has a zero scale; MASE is then infinite for any
    error and 0 for none.
    """
    actual, forecast = _arrays(y_true, y_pred)
    scale = seasonal_naive_mae(y_train, season)
    mae = float(np.mean(np.abs(forecast - actual)))
    if scale == 0:
        return 0.0 if mae == 0 else float("inf")
    return mae / scale


def wape(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Weighted absolute percentage error: ``sum |error| / sum |actual|`` (NaN if all zero)."""
    actual, forecast = _arrays(y_true, y_pred)
    total = float(np.sum(np.abs(actual)))
    if total == 0:
        return float("nan")
    return float(np.sum(np.abs(forecast - actual)) / total)


def bias(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean error over mean actual: ``mean(forecast - actual) / mean(actual)`` (NaN if 0)."""
    actual, forecast = _arrays(y_true, y_pred)
    mean_actual = float(np.mean(actual))
    if mean_actual == 0:
        return float("nan")
    return float(np.mean(forecast - actual) / mean_actual)


def coverage(y_true: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> float:
    """Share of actuals inside their prediction interval, bounds included."""
    actual, low, high = _arrays(y_true, lower, upper)
    return float(np.mean((actual >= low) & (actual <= high)))
