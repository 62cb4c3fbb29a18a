"""The dynamic optimised Theta model (DOTM, Fiorucci, Pellegrini, Louzada, Petropoulos &
Koehler 2016): the Theta method as a state-space model whose theta (the weight of the trend
line against the smoothed level) and smoothing parameter are fitted instead of fixed at 2, and
whose trend line (intercept ``A_t``, slope ``B_t``) is the least-squares line of the values up
to ``t``, updated at each step rather than fitted once on the whole history. It is the Theta
member of Petropoulos & Svetunkov's SCUM combination (M4).

With ``w = 1 - 1/theta``, the one-step forecast is
``mu_t = l_{t-1} + w (A_{t-1} (1-alpha)^{t-1} + B_{t-1} (1 - (1-alpha)^t) / alpha)`` and the
level is simple exponential smoothing, ``l_t = alpha y_t + (1-alpha) l_{t-1}``. A series with a
season (the 90 % autocorrelation test of Assimakopoulos & Nikolopoulos) is first divided by its
classical multiplicative decomposition's seasonal indices (subtracted, additively, when it is
not strictly positive), and the forecast is re-seasonalised with the last season's indices.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize
from scipy.signal import lfilter
from statsmodels.tsa.seasonal import seasonal_decompose
from statsmodels.tsa.stattools import acf

from forecasting.models.local import LocalModel
from forecasting.models.local import growing_sigma

ALPHA_BOUNDS = (0.1, 0.99)
THETA_BOUNDS = (1.0, 1e4)


def has_season(y: np.ndarray, season: int) -> bool:
    """The classical Theta seasonality test: the autocorrelation at the seasonal lag exceeds
    its 90 % limit ``1.645 sqrt((1 + 2 sum_{k<m} r_k^2) / n)``."""
    if season < 2 or len(y) < 2 * season or np.ptp(y) == 0:
        return False
    r = acf(y, nlags=season, fft=False)[1:]
    limit = 1.645 * np.sqrt((1 + 2 * np.sum(r[: season - 1] ** 2)) / len(y))
    return bool(abs(r[season - 1]) > limit)


def seasonal_indices(y: np.ndarray, season: int) -> tuple[np.ndarray, bool]:
    """One season of classical-decomposition indices, aligned so ``indices[t % season]`` is
    the index of ``y[t]``, and whether they multiply (strictly positive ``y``) or add."""
    multiplicative = bool(y.min() > 0)
    parts = seasonal_decompose(
        y, period=season, model="multiplicative" if multiplicative else "additive"
    )
    return np.asarray(parts.seasonal[:season]), multiplicative


def dynamic_trend(y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intercept ``A_t`` (at time 0, times counted from 1) and slope ``B_t`` of the
    least-squares line through ``y[0..t]``, and the running mean, by the recursive updates."""
    n = len(y)
    mean = np.cumsum(y) / np.arange(1, n + 1)
    slope = np.zeros(n)
    for t in range(1, n):
        slope[t] = ((t - 1) * slope[t - 1] + 6 * (y[t] - mean[t - 1]) / (t + 1)) / (t + 2)
    intercept = mean - slope * (np.arange(n) + 2) / 2
    return intercept, slope, mean


def one_step(level, intercept, slope, t, alpha: float, theta: float):
    """The forecast of step ``t`` (0-based) from the states after step ``t - 1``."""
    decay = (1 - alpha) ** t
    trend = intercept * decay + slope * (1 - decay * (1 - alpha)) / alpha
    return level + (1 - 1 / theta) * trend


def fitted_values(params: np.ndarray, y: np.ndarray, trend) -> np.ndarray:
    """One-step forecasts of ``y[1:]`` for ``params = (l_0, alpha, theta)``."""
    level0, alpha, theta = params
    intercept, slope, _ = trend
    level = lfilter([alpha], [1, alpha - 1], y, zi=[(1 - alpha) * level0])[0]
    t = np.arange(1, len(y))
    return one_step(level[:-1], intercept[:-1], slope[:-1], t, alpha, theta)


def fit_dotm(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parameters ``(l_0, alpha, theta)`` minimising the squared one-step errors from the
    third value on (the first two only start the trend line), and those errors."""
    trend = dynamic_trend(y)
    scale = float(np.mean(np.abs(y))) or 1.0

    def sse(params: np.ndarray) -> float:
        errors = (y[2:] - fitted_values(params, y, trend)[1:]) / scale
        return float(errors @ errors)

    start = np.array([y[0] / 2, 0.5, 2.0])
    bounds = [(None, None), ALPHA_BOUNDS, THETA_BOUNDS]
    best = minimize(sse, start, method="Nelder-Mead", bounds=bounds, options={"maxiter": 1000})
    return best.x, y[2:] - fitted_values(best.x, y, trend)[1:]


def forecast_dotm(params: np.ndarray, y: np.ndarray, horizon: int) -> np.ndarray:
    """Forecasts from the fitted states, each fed back as the next value (the trend line
    keeps updating on them)."""
    level0, alpha, theta = params
    intercept, slope, mean = (part[-1] for part in dynamic_trend(y))
    level = lfilter([alpha], [1, alpha - 1], y, zi=[(1 - alpha) * level0])[0][-1]
    out = np.empty(horizon)
    for step in range(horizon):
        t = len(y) + step
        out[step] = value = one_step(level, intercept, slope, t, alpha, theta)
        level = alpha * value + (1 - alpha) * level
        previous_mean, mean = mean, (t * mean + value) / (t + 1)
        slope = ((t - 1) * slope + 6 * (value - previous_mean) / (t + 1)) / (t + 2)
        intercept = mean - slope * (t + 2) / 2
    return out


def deseasonalised(y: np.ndarray, season: int) -> tuple[np.ndarray, tuple | None]:
    """``y`` without its season when it has one (``has_season``), and that season
    (``None`` when it has none) for ``reseasonalised``."""
    if not has_season(y, season):
        return y, None
    indices, multiplicative = seasonal_indices(y, season)
    return _adjust(y, indices, multiplicative, divide=True), (indices, multiplicative)


def reseasonalised(yhat, sigma, seasonality: tuple | None, n: int):
    """Forecasts (and standard errors) of adjusted values, given their season back; ``n`` is
    the length of the history, which fixes where in the season the forecast starts."""
    if seasonality is None:
        return yhat, sigma
    indices, multiplicative = seasonality
    future = np.resize(np.roll(indices, -n), len(yhat))
    yhat = _adjust(yhat, future, multiplicative, divide=False)
    return yhat, sigma * (future if multiplicative else 1.0)


class Theta(LocalModel):
    """The Theta method in its dynamic optimised form (DOTM), on seasonally adjusted values
    when the series has a season (see the module's docstring)."""

    name = "theta"
    min_history = 8
    max_seasons = 52

    def fit_one(self, y: np.ndarray, season: int):
        adjusted, seasonality = deseasonalised(y, season)
        params, _ = fit_dotm(adjusted)
        return params, adjusted, seasonality

    def forecast_one(self, state, horizon: int):
        params, adjusted, seasonality = state
        yhat = forecast_dotm(params, adjusted, horizon)
        errors = adjusted[2:] - fitted_values(params, adjusted, dynamic_trend(adjusted))[1:]
        sigma = growing_sigma(errors, horizon)
        return reseasonalised(yhat, sigma, seasonality, len(adjusted))


def _adjust(y: np.ndarray, indices: np.ndarray, multiplicative: bool, divide: bool) -> np.ndarray:
    """``y`` with seasonal ``indices`` (repeated to its length) removed or put back."""
    s = np.resize(indices, len(y))
    if multiplicative:
        return y / s if divide else y * s
    return y - s if divide else y + s
