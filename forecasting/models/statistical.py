"""The classical statistical forecasters a data scientist would try first, through statsmodels:
exponential smoothing (ETS, chosen by AICc), the Theta method and seasonal ARIMA."""

from __future__ import annotations

import numpy as np
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.forecasting.theta import ThetaModel
from statsmodels.tsa.seasonal import seasonal_decompose
from statsmodels.tsa.statespace.sarimax import SARIMAX
from statsmodels.tsa.stattools import kpss

from forecasting.models.local import LocalModel
from forecasting.models.local import growing_sigma

ETS_FORMS = (
    ("add", None, False, "add"),
    ("add", "add", False, "add"),
    ("add", "add", True, "add"),
    ("mul", None, False, "add"),
    ("mul", "add", True, "add"),
    ("mul", None, False, "mul"),
    ("mul", "add", False, "mul"),
    ("mul", "add", True, "mul"),
)
"""(error, trend, damped, season) forms tried, as R's ``forecast::ets`` restricts them: no
additive error with a multiplicative season (numerically unstable)."""


def _season_fits(y: np.ndarray, season: int) -> bool:
    return season > 1 and len(y) >= 2 * season + 2


def _fallback(y: np.ndarray, season: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Seasonal naive, for the rare series no statistical form can be fitted to."""
    last = y[-season:] if len(y) >= season else y[-1:]
    yhat = np.resize(last, horizon)
    step = season if len(y) > season else 1
    return yhat, growing_sigma(y[step:] - y[:-step], horizon)


class ETS(LocalModel):
    """State-space exponential smoothing with the form of lowest AICc among additive and
    multiplicative error, no / additive / damped trend, and additive or multiplicative season
    (multiplicative forms only for strictly positive series; no season when there are fewer
    than two seasons of values). Smoothing parameters are fitted by maximum likelihood from
    heuristic initial states (Hyndman et al. 2008), which is what keeps the search fast."""

    name = "ets"
    min_history = 10
    max_seasons = 52

    def fit_one(self, y: np.ndarray, season: int):
        seasonal = _season_fits(y, season)
        positive = bool(y.min() > 0)
        best, best_aicc = None, np.inf
        for error, trend, damped, kind in ETS_FORMS:
            if not positive and "mul" in (error, kind):
                continue
            try:
                fitted = ETSModel(
                    y,
                    error=error,
                    trend=trend,
                    damped_trend=damped,
                    seasonal=kind if seasonal else None,
                    seasonal_periods=season if seasonal else None,
                    initialization_method="heuristic" if len(y) >= 10 else "estimated",
                ).fit(disp=False, maxiter=200)
            except (ValueError, np.linalg.LinAlgError):
                continue
            if np.isfinite(fitted.aicc) and fitted.aicc < best_aicc:
                best, best_aicc = fitted, fitted.aicc
        return best, y, season

    def forecast_one(self, state, horizon: int):
        fitted, y, season = state
        if fitted is None:
            return _fallback(y, season, horizon)
        residuals = y - np.asarray(fitted.fittedvalues)
        return np.asarray(fitted.forecast(horizon)), growing_sigma(residuals, horizon)


class Theta(LocalModel):
    """The Theta method (Assimakopoulos & Nikolopoulos; Hyndman & Billah's SES-with-drift
    form), on seasonally adjusted values when the series has a season to remove."""

    name = "theta"
    min_history = 8
    max_seasons = 52

    def fit_one(self, y: np.ndarray, season: int):
        seasonal = _season_fits(y, season)
        try:
            fitted = ThetaModel(y, period=season if seasonal else 1, deseasonalize=seasonal).fit()
        except (ValueError, np.linalg.LinAlgError):
            fitted = None
        return fitted, y, season

    def forecast_one(self, state, horizon: int):
        fitted, y, season = state
        if fitted is None:
            return _fallback(y, season, horizon)
        step = season if len(y) > 2 * season else 1
        return np.asarray(fitted.forecast(horizon)), growing_sigma(y[step:] - y[:-step], horizon)


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


def integrate(z_hat: np.ndarray, y: np.ndarray, d: int, big_d: int, season: int) -> np.ndarray:
    """Forecasts of ``y`` from forecasts of its differences ``(1-B)^d (1-B^s)^D y``."""
    w = y[season:] - y[:-season] if big_d else y
    w_hat = np.cumsum(z_hat) + w[-1] if d else z_hat
    if not big_d:
        return w_hat
    out = np.concatenate([y[-season:], np.empty(len(w_hat))])
    for i, value in enumerate(w_hat):
        out[season + i] = value + out[i]
    return out[season:]


class AutoARIMA(LocalModel):
    """Seasonal ARIMA, orders chosen as R's ``auto.arima`` would in spirit but over a small set:
    a seasonal difference when the seasonal strength exceeds 0.64, a first difference when a
    KPSS test rejects stationarity at 5 %, then the lowest AICc of (1,d,0) and (0,d,1) with a
    seasonal MA(1) (seasonal AR(1) without seasonal differencing), with a
    constant (or drift) when at most one difference is taken. The differences are taken
    before the fit (``simple_differencing``), which keeps it fast; ``integrate`` undoes them."""

    name = "arima"
    min_history = 10
    max_seasons = 52
    ORDERS = ((1, 0), (0, 1))

    def fit_one(self, y: np.ndarray, season: int):
        seasonal = season > 1 and len(y) >= 3 * season
        big_d = int(seasonal and seasonal_strength(y, season) > 0.64)
        w = y[season:] - y[:-season] if big_d else y
        d = 0
        if len(w) > 10 and np.ptp(w) > 0 and kpss(w, regression="c", nlags="auto")[1] < 0.05:
            d = 1
        if big_d:
            seasonal_order = (0, 1, 1, season)
        elif seasonal:
            seasonal_order = (1, 0, 0, season)
        else:
            seasonal_order = (0, 0, 0, 0)
        best, best_aicc = None, np.inf
        for p, q in self.ORDERS:
            try:
                fitted = SARIMAX(
                    y,
                    order=(p, d, q),
                    seasonal_order=seasonal_order,
                    trend="c" if d + big_d <= 1 else "n",
                    simple_differencing=True,
                    concentrate_scale=True,
                ).fit(disp=False, maxiter=50)
            except (ValueError, np.linalg.LinAlgError):
                continue
            if np.isfinite(fitted.aicc) and fitted.aicc < best_aicc:
                best, best_aicc = fitted, fitted.aicc
        return best, y, season, d, big_d

    def forecast_one(self, state, horizon: int):
        fitted, y, season, d, big_d = state
        if fitted is None:
            return _fallback(y, season, horizon)
        z_hat = np.asarray(fitted.forecast(horizon))
        yhat = integrate(z_hat, y, d, big_d, season)
        return yhat, growing_sigma(np.asarray(fitted.resid), horizon)
