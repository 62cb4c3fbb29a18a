"""Weekly seasonal naive: the baseline every other model must beat."""

from __future__ import annotations

import math
from typing import Self

import numpy as np
import pandas as pd

from forecasting.errors import ForecastingError
from forecasting.models.base import interval_quantiles
from forecasting.models.base import trained
from forecasting.series import DEFAULT_LEVEL
from forecasting.series import DS
from forecasting.series import ID
from forecasting.series import LOWER
from forecasting.series import UPPER
from forecasting.series import YHAT
from forecasting.series import Y
from forecasting.series import frequency
from forecasting.series import future_frame
from forecasting.series import season_length
from forecasting.series import validate_series


class SeasonalNaive:
    """``yhat(T+h)`` is the value at the same point of the last observed season: the same
    weekday of the last week for daily series (``season`` defaults to the frequency's).

    The interval at ``k = ceil(h / season)`` seasons ahead adds the empirical quantiles of
    the in-sample k-season-ahead errors ``y_t - y_{t-k*season}``, so it widens with the
    horizon as the real error does.
    """

    name = "snaive"
    min_history = 14

    def __init__(self, season: int | None = None, level: int = DEFAULT_LEVEL) -> None:
        self.season = season
        self.level = level
        self._train: pd.DataFrame | None = None

    def fit(self, train: pd.DataFrame) -> Self:
        train = validate_series(train)
        self.season = self.season or season_length(frequency(train))
        short = train.groupby(ID).size()
        if (short < 2 * self.season).any():
            raise ForecastingError(
                f"seasonal naive needs at least {2 * self.season} days per series; "
                f"{short[short < 2 * self.season].index[0]!r} has {short.min()}"
            )
        self._train = train[[ID, DS, Y]]
        return self

    def predict(self, horizon: int, future_exog: pd.DataFrame | None = None) -> pd.DataFrame:
        future = future_frame(trained(self._train), horizon)
        q_low, q_high = interval_quantiles(self.level)
        parts = []
        for uid, group in self._train.groupby(ID, sort=True):
            y = group[Y].to_numpy()
            h = np.arange(1, horizon + 1)
            seasons_ahead = np.ceil(h / self.season).astype(int)
            yhat = y[len(y) - self.season + (h - 1) % self.season]
            low = np.empty(horizon)
            high = np.empty(horizon)
            for k in np.unique(seasons_ahead):
                lag = k * self.season
                if len(y) > lag + self.season:
                    errors = y[lag:] - y[:-lag]
                    scale = 1.0
                else:
                    errors = y[self.season :] - y[: -self.season]
                    scale = math.sqrt(k)
                low[seasons_ahead == k] = scale * np.quantile(errors, q_low)
                high[seasons_ahead == k] = scale * np.quantile(errors, q_high)
            parts.append(pd.DataFrame({ID: uid, YHAT: yhat, LOWER: yhat + low, UPPER: yhat + high}))
        values = pd.concat(parts, ignore_index=True)
        return pd.concat([future, values.drop(columns=ID)], axis=1)[[ID, DS, YHAT, LOWER, UPPER]]
