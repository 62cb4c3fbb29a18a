"""One Prophet per series, with holidays and spend / promotion regressors."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field
from typing import Self

import numpy as np
import pandas as pd
from cmdstanpy.utils import get_logger as cmdstanpy_logger
from prophet import Prophet

from forecasting.errors import ForecastingError
from forecasting.models.base import trained
from forecasting.series import DEFAULT_LEVEL
from forecasting.series import DS
from forecasting.series import ID
from forecasting.series import LOWER
from forecasting.series import UPPER
from forecasting.series import YHAT
from forecasting.series import Y
from forecasting.series import complete_future_exog
from forecasting.series import exog_columns
from forecasting.series import validate_series

cmdstanpy_logger().setLevel(logging.WARNING)  # configures its handler on first use
logging.getLogger("prophet").setLevel(logging.WARNING)


@dataclass(eq=False)
class ProphetModel:
    """Prophet with weekly and yearly seasonality and the holidays of ``country``.

    Seasonality and holidays are multiplicative by default (``seasonality_mode``): channel
    sales grow and shrink in proportion, a December peak is larger on a larger base.

    Every numeric exogenous column (spend, promotions, price) present in the training frame
    becomes an extra additive regressor; one constant within a series is left out for that
    series.
    ``logistic=True`` fits saturating growth with ``cap = cap_multiple × max of the last
    ``cap_window`` days`` (floor 0), for channels that are near their ceiling.
    Interval sampling is seeded, so a refitted or reloaded model reproduces its forecast.
    """

    name = "prophet"
    min_history = 14

    level: int = DEFAULT_LEVEL
    country: str | None = "US"
    logistic: bool = False
    cap_multiple: float = 1.5
    cap_window: int = 90
    uncertainty_samples: int = 100
    seasonality_mode: str = "multiplicative"
    changepoint_prior_scale: float = 0.05
    seed: int = 0
    _models: dict[str, tuple[Prophet, list[str], float | None]] = field(
        default_factory=dict, init=False, repr=False
    )
    _train: pd.DataFrame | None = field(default=None, init=False, repr=False)
    _exog: list[str] = field(default_factory=list, init=False, repr=False)

    def fit(self, train: pd.DataFrame) -> Self:
        train = validate_series(train)
        self._exog = exog_columns(train)
        self._train = train
        self._models = {}
        for uid, group in train.groupby(ID, sort=True):
            if len(group) < self.min_history:
                raise ForecastingError(
                    f"Prophet needs at least {self.min_history} days; {uid!r} has {len(group)}"
                )
            regressors = [c for c in self._exog if group[c].nunique() > 1]
            model = Prophet(
                growth="logistic" if self.logistic else "linear",
                weekly_seasonality=True,
                yearly_seasonality=len(group) >= 365,
                daily_seasonality=False,
                interval_width=self.level / 100,
                uncertainty_samples=self.uncertainty_samples,
                seasonality_mode=self.seasonality_mode,
                changepoint_prior_scale=self.changepoint_prior_scale,
            )
            if self.country:
                model.add_country_holidays(country_name=self.country)
            for column in regressors:
                model.add_regressor(column, mode="additive")
            history = group[[DS, Y, *regressors]].reset_index(drop=True)
            cap = None
            if self.logistic:
                cap = self.cap_multiple * float(group[Y].tail(self.cap_window).max())
                if cap <= 0:
                    raise ForecastingError(f"logistic growth needs positive values in {uid!r}")
                history["cap"] = cap
                history["floor"] = 0.0
            model.fit(history)
            self._models[str(uid)] = (model, regressors, cap)
        return self

    def predict(self, horizon: int, future_exog: pd.DataFrame | None = None) -> pd.DataFrame:
        future = complete_future_exog(trained(self._train), future_exog, horizon, self._exog)
        state = np.random.get_state()
        np.random.seed(self.seed)
        try:
            parts = []
            for uid, rows in future.groupby(ID, sort=True):
                model, regressors, cap = self._models[str(uid)]
                frame = rows[[DS, *regressors]].reset_index(drop=True)
                if cap is not None:
                    frame["cap"] = cap
                    frame["floor"] = 0.0
                out = model.predict(frame)
                parts.append(
                    pd.DataFrame(
                        {
                            ID: uid,
                            DS: out["ds"].to_numpy(),
                            YHAT: out["yhat"].to_numpy(),
                            LOWER: out["yhat_lower"].to_numpy(),
                            UPPER: out["yhat_upper"].to_numpy(),
                        }
                    )
                )
        finally:
            np.random.set_state(state)
        return pd.concat(parts, ignore_index=True)
