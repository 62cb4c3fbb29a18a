"""Exponential smoothing (ETS, the form chosen by AICc) through statsmodels: the first of the
classical forecasters a data scientist would try (the Theta method is in ``theta``, seasonal
ARIMA in ``arima``)."""

from __future__ import annotations

import numpy as np
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from forecasting.models.local import LocalModel
from forecasting.models.local import fallback
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
            return fallback(y, season, horizon)
        residuals = y - np.asarray(fitted.fittedvalues)
        return np.asarray(fitted.forecast(horizon)), growing_sigma(residuals, horizon)
