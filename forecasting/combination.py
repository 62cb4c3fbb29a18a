"""Forecast combinations: the mean and the median of each series' best ``k`` candidates.

Combinations usually beat any single model picked per series (the M competitions), because
picking by a few backtest folds is noisy and averaging cancels part of each model's error.
A combination is judged like any candidate, on the backtest, without peeking: in each fold
its members are the ``k`` best on the *other* folds (``combination_backtest``); the final
members are the ``k`` best over all folds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.backtest import CUTOFF, MODEL, summarise
from forecasting.models import ForecastModel
from forecasting.series import DS, FORECAST_COLUMNS, ID, LOWER, UPPER, YHAT

HOW = {"combo_mean": np.mean, "combo_median": np.median}
"""Combination candidates by name: how each combines its members' forecasts."""
K = 3


def best_members(scores: pd.DataFrame, k: int = K, exclude=()) -> dict[str, list[str]]:
    """Per series, the ``k`` single models with the lowest mean backtest MASE."""
    summary = summarise(scores)
    summary = summary[~summary[MODEL].isin([*HOW, *exclude]) & np.isfinite(summary["mase"])]
    ranked = summary.sort_values([ID, "mase", MODEL], kind="stable")
    return {str(uid): list(group[MODEL].head(k)) for uid, group in ranked.groupby(ID)}


def combine(forecasts: pd.DataFrame, members: dict[str, list[str]], how: str) -> pd.DataFrame:
    """Rows of ``forecasts`` (with ``model``; other key columns kept) combined per series over
    its members: the ``how`` of the point forecasts and of each bound."""
    wanted = pd.DataFrame(
        [(uid, model) for uid, names in members.items() for model in names], columns=[ID, MODEL]
    )
    chosen = forecasts.merge(wanted, on=[ID, MODEL])
    keys = [c for c in chosen.columns if c not in (MODEL, YHAT, LOWER, UPPER)]
    combined = chosen.groupby(keys, sort=True)[[YHAT, LOWER, UPPER]].agg(HOW[how])
    return combined.reset_index().assign(**{MODEL: how})


def combination_backtest(forecasts: pd.DataFrame, scores: pd.DataFrame, k: int = K) -> pd.DataFrame:
    """Backtest forecasts of every combination, each fold's members chosen on the other folds
    (on all folds when there is only one)."""
    parts = []
    folds = sorted(forecasts[CUTOFF].unique())
    for cutoff in folds:
        others = scores[scores[CUTOFF] != cutoff] if len(folds) > 1 else scores
        members = best_members(others, k)
        fold = forecasts[forecasts[CUTOFF] == cutoff]
        parts += [combine(fold, members, how) for how in HOW]
    return pd.concat(parts, ignore_index=True)[forecasts.columns]


class Combination:
    """A fitted combination: its members' fitted models and each series' member names."""

    min_history = 1

    def __init__(
        self, name: str, members: dict[str, list[str]], fitted: dict[str, ForecastModel]
    ) -> None:
        self.name = name
        self.members = members
        self.fitted = {m: fitted[m] for m in {m for names in members.values() for m in names}}
        self.level = next(iter(fitted.values())).level

    def fit(self, train: pd.DataFrame) -> Combination:
        for model in self.fitted.values():
            model.fit(train)
        return self

    def predict(self, horizon: int, future_exog: pd.DataFrame | None = None) -> pd.DataFrame:
        forecasts = pd.concat(
            [
                model.predict(horizon, future_exog).assign(**{MODEL: name})
                for name, model in self.fitted.items()
            ],
            ignore_index=True,
        )
        combined = combine(forecasts, self.members, self.name)
        return combined.sort_values([ID, DS]).reset_index(drop=True)[FORECAST_COLUMNS]
