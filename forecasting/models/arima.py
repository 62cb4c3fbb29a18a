"""Seasonal ARIMA with its orders chosen like R's ``forecast::auto.arima`` (Hyndman &
Khandakar 2008): the seasonal difference when the seasonal strength exceeds 0.64, first
differences while a KPSS test rejects stationarity at 5 % (at most two), then a stepwise search
of (p, q)(P, Q) and the constant by AICc, from four starting models through the neighbours
that change one order (or p and q, or P and Q, together) by one, until none improves.

Each model is fitted by conditional sum of squares (the "approximation" auto.arima uses on
long series): residuals come from two linear filters, so a fit costs milliseconds and the
search stays cheap for daily series too. Models whose AR or MA polynomial has a root within
1.01 of the unit circle are rejected, as auto.arima does.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from dataclasses import replace

import numpy as np
from numpy.polynomial import polynomial
from scipy.optimize import least_squares
from scipy.signal import lfilter
from statsmodels.tools.sm_exceptions import InterpolationWarning
from statsmodels.tsa.seasonal import seasonal_decompose
from statsmodels.tsa.stattools import kpss

from forecasting.models.local import LocalModel
from forecasting.models.local import fallback

MAX_P, MAX_Q, MAX_SP, MAX_SQ, MAX_ORDER, MAX_MODELS = 5, 5, 2, 2, 5, 94


def seasonal_strength(y: np.ndarray, season: int) -> float:
    """Hyndman's ``F_s = max(0, 1 - Var(remainder) / Var(season + remainder))`` from a classical
    additive decomposition; 0 for series without a season."""
    if season < 2 or len(y) < 2 * season + 1:
        return 0.0
    parts = seasonal_decompose(y, period=season, two_sided=True)
    remainder = parts.resid[np.isfinite(parts.resid)]
    both = (parts.seasonal + parts.resid)[np.isfinite(parts.resid)]
    if np.var(both) == 0:
        return 0.0
    return max(0.0, 1 - np.var(remainder) / np.var(both))


def first_differences(w: np.ndarray, most: int = 2) -> int:
    """How many first differences make ``w`` level-stationary by KPSS at 5 % (R's ``ndiffs``:
    lag truncation ``3 sqrt(n) / 13``)."""
    d = 0
    while d < most and len(w) > 10 and np.ptp(w) > 0:
        lags = max(1, int(3 * np.sqrt(len(w)) / 13))
        with warnings.catch_warnings():
            # Outside its table the p-value is clipped to 0.01 or 0.1: either side of 5 % still.
            warnings.simplefilter("ignore", InterpolationWarning)
            stationary = kpss(w, regression="c", nlags=lags, result_object=True).pvalue >= 0.05
        if stationary:
            break
        w, d = np.diff(w), d + 1
    return d


def difference(y: np.ndarray, lags: list[int]) -> list[np.ndarray]:
    """``y`` and each series after applying the ``lags`` differences one by one."""
    series = [y]
    for lag in lags:
        series.append(series[-1][lag:] - series[-1][:-lag])
    return series


def undifference(z_hat: np.ndarray, series: list[np.ndarray], lags: list[int]) -> np.ndarray:
    """Forecasts of ``series[0]`` from forecasts of its last differences (``difference``)."""
    for lag, base in zip(reversed(lags), reversed(series[:-1]), strict=True):
        out = np.concatenate([base[-lag:], np.empty(len(z_hat))])
        for i, value in enumerate(z_hat):
            out[lag + i] = value + out[i]
        z_hat = out[lag:]
    return z_hat


def integrate(z_hat: np.ndarray, y: np.ndarray, d: int, big_d: int, season: int) -> np.ndarray:
    """Forecasts of ``y`` from forecasts of its differences ``(1-B)^d (1-B^s)^D y``."""
    lags = [season] * big_d + [1] * d
    return undifference(z_hat, difference(y, lags), lags)


@dataclass(frozen=True)
class Order:
    p: int
    q: int
    sp: int
    sq: int
    constant: bool

    def valid(self, seasonal: bool, constant_allowed: bool) -> bool:
        small = 0 <= self.p <= MAX_P and 0 <= self.q <= MAX_Q
        seasonal_ok = 0 <= self.sp <= MAX_SP and 0 <= self.sq <= MAX_SQ
        if not seasonal:
            seasonal_ok = self.sp == self.sq == 0
        within = self.p + self.q + self.sp + self.sq <= MAX_ORDER
        return small and seasonal_ok and within and (constant_allowed or not self.constant)

    def neighbours(self) -> list[Order]:
        steps = [(1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1), (1, 1, 0, 0), (0, 0, 1, 1)]
        out = [Order(self.p, self.q, self.sp, self.sq, not self.constant)]
        for sign in (1, -1):
            for a, b, c, d in steps:
                out.append(
                    Order(
                        self.p + sign * a,
                        self.q + sign * b,
                        self.sp + sign * c,
                        self.sq + sign * d,
                        self.constant,
                    )
                )
        return out


def polynomials(params: np.ndarray, order: Order, season: int) -> tuple[np.ndarray, np.ndarray]:
    """The expanded AR ``phi(B) Phi(B^s)`` and MA ``theta(B) Theta(B^s)`` coefficients (lag 0
    first) of ``params = (phi, theta, Phi, Theta, [mean])``."""
    p, q, sp, sq = order.p, order.q, order.sp, order.sq
    phi, theta = params[:p], params[p : p + q]
    big_phi, big_theta = params[p + q : p + q + sp], params[p + q + sp : p + q + sp + sq]
    ar = np.convolve(np.r_[1.0, -phi], _seasonal(-big_phi, season))
    ma = np.convolve(np.r_[1.0, theta], _seasonal(big_theta, season))
    return ar, ma


def _seasonal(coefficients: np.ndarray, season: int) -> np.ndarray:
    """``1 + sum_k c_k B^(k season)`` as coefficients, lag 0 first."""
    poly = np.zeros(season * len(coefficients) + 1)
    poly[0] = 1.0
    poly[season::season] = coefficients
    return poly


def _residuals(params: np.ndarray, w: np.ndarray, order: Order, season: int) -> np.ndarray:
    ar, ma = polynomials(params, order, season)
    x = w - (params[-1] if order.constant else 0.0)
    start = order.p + season * order.sp
    return lfilter([1.0], ma, lfilter(ar, [1.0], x)[start:])


def _stable(poly: np.ndarray) -> bool:
    """Every root of ``poly`` (lag 0 first) lies outside 1.01 (auto.arima's check)."""
    poly = np.trim_zeros(poly, "b")
    return len(poly) < 2 or bool(np.all(np.abs(polynomial.polyroots(poly)) > 1.01))


@dataclass(frozen=True)
class Fit:
    order: Order
    params: np.ndarray
    residuals: np.ndarray
    aicc: float


def fit_css(w: np.ndarray, order: Order, season: int) -> Fit | None:
    """The conditional-sum-of-squares fit of ``order`` to the differenced ``w``, or None when
    it cannot be fitted or is not stationary and invertible. Its AICc is auto.arima's for a
    CSS fit: the residual variance over the residuals the model has, the likelihood over all
    ``len(w)`` values, so models with different lags are scored on one scale."""
    k = order.p + order.q + order.sp + order.sq
    start = order.p + season * order.sp
    used, npar = len(w), k + int(order.constant) + 1
    if used - start - npar - 2 <= 0:
        return None
    x0 = np.r_[np.zeros(k), np.mean(w)] if order.constant else np.zeros(k)
    if len(x0):
        solved = least_squares(
            _residuals, x0, args=(w, order, season), method="lm", xtol=1e-6, ftol=1e-6
        )
        params = solved.x
    else:
        params = x0
    residuals = _residuals(params, w, order, season)
    sse = float(residuals @ residuals)
    ar, ma = polynomials(params, order, season)
    if not (np.isfinite(sse) and sse > 0 and _stable(ar) and _stable(ma)):
        return None
    variance = sse / len(residuals)
    aicc = used * np.log(variance) + 2 * npar + 2 * npar * (npar + 1) / (used - npar - 1)
    return Fit(order, params, residuals, float(aicc))


def stepwise(w: np.ndarray, season: int, seasonal: bool, constant_allowed: bool) -> Fit | None:
    """The lowest-AICc fit found by the Hyndman-Khandakar stepwise search."""
    s = int(seasonal)
    starts = [Order(2, 2, s, s, True), Order(0, 0, 0, 0, True)]
    starts += [Order(1, 0, s, 0, True), Order(0, 1, 0, s, True)]
    tried: dict[Order, Fit | None] = {}

    def attempt(order: Order) -> None:
        if order not in tried and order.valid(seasonal, constant_allowed):
            tried[order] = fit_css(w, order, season)

    for order in starts:
        attempt(replace(order, constant=constant_allowed))
    best = _lowest(tried)
    while best is not None and len(tried) < MAX_MODELS:
        for order in best.order.neighbours():
            attempt(order)
        improved = _lowest(tried)
        if improved is best:
            break
        best = improved
    return best


def _lowest(tried: dict[Order, Fit | None]) -> Fit | None:
    fits = [fit for fit in tried.values() if fit is not None]
    return min(fits, key=lambda fit: fit.aicc, default=None)


def forecast_arma(fit: Fit, w: np.ndarray, season: int, horizon: int) -> np.ndarray:
    """Forecasts of the differenced series: the ARMA recursion with future errors zero."""
    ar, ma = polynomials(fit.params, fit.order, season)
    mean = fit.params[-1] if fit.order.constant else 0.0
    x = np.r_[w - mean, np.zeros(horizon)]
    e = np.r_[np.zeros(len(w) - len(fit.residuals)), fit.residuals, np.zeros(horizon)]
    n = len(w)
    for t in range(n, n + horizon):
        past_x = x[t - len(ar) + 1 : t][::-1] if len(ar) > 1 else np.empty(0)
        past_e = e[t - len(ma) + 1 : t][::-1] if len(ma) > 1 else np.empty(0)
        x[t] = -ar[1:] @ past_x + ma[1:] @ past_e
    return x[n:] + mean


def forecast_sigma(fit: Fit, season: int, lags: list[int], horizon: int) -> np.ndarray:
    """Standard errors per step from the psi weights of the whole (integrated) model."""
    ar, ma = polynomials(fit.params, fit.order, season)
    for lag in lags:
        ar = polynomial.polymul(ar, np.r_[1.0, np.zeros(lag - 1), -1.0])
    impulse = np.r_[1.0, np.zeros(horizon - 1)]
    psi = lfilter(ma, ar, impulse)
    sd = float(np.std(fit.residuals))
    return sd * np.sqrt(np.cumsum(psi**2))


class AutoARIMA(LocalModel):
    """Seasonal ARIMA with orders found by the stepwise search (see the module's docstring);
    a constant (or drift) is tried when at most one difference is taken."""

    name = "arima"
    min_history = 10
    max_seasons = 52

    def fit_one(self, y: np.ndarray, season: int):
        best = _search(y, season)
        if y.min() > 0:
            logged = _search(np.log(y), season)
            if logged[0] is not None and (
                best[0] is None or logged[0].aicc + 2 * _log_jacobian(y, logged) < best[0].aicc
            ):
                return (*logged, season, True)
        return (*best, season, False)

    def forecast_one(self, state, horizon: int):
        fit, series, lags, season, logged = state
        if fit is None:
            y = np.exp(series[0]) if logged else series[0]
            return fallback(y, season, horizon)
        z_hat = forecast_arma(fit, series[-1], season, horizon)
        yhat = undifference(z_hat, series, lags)
        sigma = forecast_sigma(fit, season, lags, horizon)
        if logged:
            return np.exp(yhat), np.exp(yhat) * sigma
        return yhat, sigma


def _search(y: np.ndarray, season: int) -> tuple[Fit | None, list[np.ndarray], list[int]]:
    """The differences of ``y`` to take, and the stepwise search's fit to the result."""
    seasonal = season > 1 and len(y) >= 3 * season
    big_d = int(seasonal and seasonal_strength(y, season) > 0.64)
    d = first_differences(y[season:] - y[:-season] if big_d else y)
    lags = [season] * big_d + [1] * d
    series = difference(y, lags)
    fit = stepwise(series[-1], season, seasonal, constant_allowed=d + big_d <= 1)
    return fit, series, lags


def _log_jacobian(y: np.ndarray, logged) -> float:
    """``sum log y`` over the values a fit on ``log y`` is scored on: what its likelihood must
    be corrected by to compare with a fit on ``y`` (the Box-Cox likelihood's Jacobian)."""
    return float(np.sum(np.log(y[-len(logged[1][-1]) :])))
