"""One global LightGBM model across all series, forecasting recursively week by week."""

from __future__ import annotations

from typing import Self

import lightgbm as lgb
import numpy as np
import pandas as pd

from forecasting.errors import ForecastingError
from forecasting.features import LEVEL
from forecasting.features import TARGET
from forecasting.features import calendar_features
from forecasting.features import lag_features
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
from forecasting.series import complete_future_exog
from forecasting.series import exog_columns
from forecasting.series import validate_series


class LightGBMModel:
    """A global gradient-boosting model: series id (categorical), lags, rolling statistics,
    calendar and holiday flags, and every exogenous column (price, promotion, spend).

    The point forecast minimises absolute error (``l1``: the median, as MASE and WAPE score
    it) with small, regularised trees: channel series are mostly noise day to day, and deeper
    trees fit it. Multi-step forecasts are recursive in blocks of ``min(lags)`` days: every
    feature reads ``y`` at least that far back, so one block is predicted at once and its
    point forecasts feed the lags of the next. Three boosters share the features:
    ``point_objective`` for ``yhat`` and quantile objectives at the interval's tails for
    ``yhat_lower`` / ``yhat_upper``.
    Training is deterministic (fixed seed, ``deterministic=True``, fixed thread count).
    """

    name = "lightgbm"
    min_history = 63
    """Days per series: the level window (28) after the shortest lag, plus 28 rows to learn."""

    def __init__(
        self,
        level: int = DEFAULT_LEVEL,
        lags: tuple[int, ...] = (7, 14, 21, 28, 364),
        windows: tuple[int, ...] = (7, 28, 56),
        country: str | None = "US",
        n_estimators: int = 200,
        learning_rate: float = 0.05,
        num_leaves: int = 15,
        min_data_in_leaf: int = 50,
        lambda_l2: float = 1.0,
        point_objective: str = "l1",
        num_threads: int = 1,
        seed: int = 0,
    ) -> None:
        self.level = level
        self.lags = tuple(sorted(lags))
        self.windows = windows
        self.country = country
        self.n_estimators = n_estimators
        self.point_objective = point_objective
        self.params = {
            "learning_rate": learning_rate,
            "num_leaves": num_leaves,
            "min_data_in_leaf": min_data_in_leaf,
            "lambda_l2": lambda_l2,
            "feature_fraction": 0.9,
            "seed": seed,
            "deterministic": True,
            "force_col_wise": True,
            "num_threads": num_threads,
            "verbose": -1,
        }
        self._boosters: dict[str, lgb.Booster] = {}
        self._train: pd.DataFrame | None = None
        self._exog: list[str] = []
        self._scale: pd.Series | None = None
        self._categories: list[str] = []

    @property
    def _history_needed(self) -> int:
        """Days of history the features of the next forecast day read; all ``predict`` keeps."""
        return max(self.lags) + max(*self.windows, 28)

    def _features(self, frame: pd.DataFrame) -> pd.DataFrame:
        features = lag_features(frame, self._scale, self.lags, self.windows)
        calendar = calendar_features(frame[DS], self.country)
        ids = pd.Categorical(frame[ID], categories=self._categories)
        return pd.concat(
            [features, calendar, frame[self._exog], pd.DataFrame({ID: ids}, index=frame.index)],
            axis=1,
        )

    def _feature_names(self, features: pd.DataFrame) -> list[str]:
        return [c for c in features.columns if c not in (LEVEL, TARGET)]

    def fit(self, train: pd.DataFrame) -> Self:
        train = validate_series(train)
        shortest = train.groupby(ID).size().min()
        if shortest < self.min_history:
            raise ForecastingError(f"LightGBM needs at least {self.min_history} days per series")
        self._train = train.groupby(ID, sort=False).tail(self._history_needed)
        self._exog = exog_columns(train)
        self._categories = sorted(train[ID].unique())
        scale = train.groupby(ID)[Y].apply(lambda s: s.abs().mean())
        self._scale = scale.where(scale > 0, 1.0)
        features = self._features(train)
        rows = features[features[LEVEL].notna() & features[f"lag{self.lags[0]}"].notna()]
        names = self._feature_names(rows)
        q_low, q_high = interval_quantiles(self.level)
        objectives = {
            YHAT: {"objective": self.point_objective},
            LOWER: {"objective": "quantile", "alpha": q_low},
            UPPER: {"objective": "quantile", "alpha": q_high},
        }
        self._boosters = {}
        for column, objective in objectives.items():
            data = lgb.Dataset(rows[names], label=rows[TARGET], categorical_feature=[ID])
            self._boosters[column] = lgb.train(
                {**self.params, **objective}, data, num_boost_round=self.n_estimators
            )
        return self

    def predict(self, horizon: int, future_exog: pd.DataFrame | None = None) -> pd.DataFrame:
        future = complete_future_exog(trained(self._train), future_exog, horizon, self._exog)
        future[Y] = np.nan
        frame = pd.concat([self._train[[ID, DS, Y, *self._exog]], future], ignore_index=True)
        frame = frame.sort_values([ID, DS], kind="stable").reset_index(drop=True)
        is_future = frame[Y].isna().to_numpy()
        step = frame.groupby(ID, sort=False).cumcount() - (~frame[Y].isna()).groupby(
            frame[ID], sort=False
        ).transform("sum")
        scale = frame[ID].map(self._scale).to_numpy()
        result = {column: np.full(len(frame), np.nan) for column in self._boosters}
        block = self.lags[0]
        for start in range(0, horizon, block):
            rows = is_future & (step >= start).to_numpy() & (step < start + block).to_numpy()
            features = self._features(frame).loc[rows]
            names = self._feature_names(features)
            level = features[LEVEL].to_numpy()
            for column, booster in self._boosters.items():
                result[column][rows] = (level + booster.predict(features[names])) * scale[rows]
            frame.loc[rows, Y] = result[YHAT][rows]
        out = frame.loc[is_future, [ID, DS]].copy()
        out[YHAT] = result[YHAT][is_future]
        out[LOWER] = np.minimum(result[LOWER], result[YHAT])[is_future]
        out[UPPER] = np.maximum(result[UPPER], result[YHAT])[is_future]
        return out[FORECAST_COLUMNS].reset_index(drop=True)
