"""The shared frame of per-series ("local") models: fit one small model per series on its own
values, forecast each, and give a normal interval around the point forecast.

A subclass implements ``fit_one(y, season) -> state`` and ``forecast_one(state, horizon) ->
(yhat, sigma)`` with ``sigma`` the forecast's standard error per step. Training calibrates the
interval on the backtest anyway (``calibration``), so the model's own is only a first guess.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import ClassVar
from typing import Self

import numpy as np
import pandas as pd
from scipy import stats

from forecasting.errors import ForecastingError
from forecasting.models.base import interval_quantiles
from forecasting.models.base import trained
from forecasting.series import DEFAULT_LEVEL
from forecasting.series import DS
from forecasting.series import FORECAST_COLUMNS
from forecasting.series import ID
from forecasting.series import LOWER
from forecasting.series import UPPER
from forecasting.series import YHAT
from forecasting.series import Y
from forecasting.series import frequency
from forecasting.series import future_frame
from forecasting.series import season_length
from forecasting.series import validate_series


@dataclass(eq=False)
class LocalModel:
    name = "local"
    min_history = 8
    max_seasons: ClassVar[int | None] = None
    """Without ``max_history``, fit on at most this many seasons of the latest values."""

    level: int = DEFAULT_LEVEL
    season: int | None = None
    max_history: int | None = None
    """Fit on at most this many of the latest values (a local model forgets the rest)."""
    _states: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _train: pd.DataFrame | None = field(default=None, init=False, repr=False)

    def fit(self, train: pd.DataFrame) -> Self:
        train = validate_series(train)
        season = self.season or season_length(frequency(train))
        self._train = train[[ID, DS, Y]]
        self._states = {}
        keep = self.max_history or (self.max_seasons or 0) * season or None
        for uid, group in train.groupby(ID, sort=True):
            y = group[Y].to_numpy()[-(keep or len(group)) :]
            if len(y) < self.min_history:
                raise ForecastingError(
                    f"{self.name} needs at least {self.min_history} values; {uid!r} has {len(y)}"
                )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._states[str(uid)] = self.fit_one(y, season)
        return self

    def predict(self, horizon: int, future_exog: pd.DataFrame | None = None) -> pd.DataFrame:
        future = future_frame(trained(self._train), horizon)
        z = stats.norm.ppf(interval_quantiles(self.level)[1])
        parts = []
        for uid in sorted(self._states):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yhat, sigma = self.forecast_one(self._states[uid], horizon)
            yhat = np.asarray(yhat, dtype=float)
            sigma = np.nan_to_num(np.asarray(sigma, dtype=float), nan=0.0)
            parts.append(
                pd.DataFrame({YHAT: yhat, LOWER: yhat - z * sigma, UPPER: yhat + z * sigma})
            )
        values = pd.concat(parts, ignore_index=True)
        return pd.concat([future, values], axis=1)[FORECAST_COLUMNS]

    def fit_one(self, y: np.ndarray, season: int) -> Any:
        raise NotImplementedError

    def forecast_one(self, state: Any, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError


def growing_sigma(residuals: np.ndarray, horizon: int) -> np.ndarray:
    """A random walk's standard error: the one-step residuals' times the root of the step."""
    finite = residuals[np.isfinite(residuals)]
    sd = float(np.std(finite)) if finite.size > 1 else 0.0
    return sd * np.sqrt(np.arange(1, horizon + 1))


class Naive(LocalModel):
    """The last value, carried forward."""

    name = "naive"
    min_history = 2

    def fit_one(self, y: np.ndarray, season: int) -> tuple[float, np.ndarray]:
        return float(y[-1]), np.diff(y)

    def forecast_one(self, state, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        last, steps = state
        return np.full(horizon, last), growing_sigma(steps, horizon)


def fallback(y: np.ndarray, season: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Seasonal naive, for the rare series no statistical form can be fitted to."""
    last = y[-season:] if len(y) >= season else y[-1:]
    yhat = np.resize(last, horizon)
    step = season if len(y) > season else 1
    return yhat, growing_sigma(y[step:] - y[:-step], horizon)
