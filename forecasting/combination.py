"""Forecast combinations: the mean and the median of each series' best ``k`` candidates, and
the median of the classical methods (ETS, Theta, ARIMA) whatever their backtest.

Combinations usually beat any single model picked per series (the M competitions), because
picking by a few backtest folds is noisy and averaging cancels part of each model's error.
A fixed combination of the classical methods needs no picking at all (the M4 'Comb'
benchmark, Petropoulos & Svetunkov's SCUM): training makes it the default champion.
A combination is judged like any candidate, on the backtest, without peeking: in each fold
the best-``k`` members are the ``k`` best on the *other* folds (``combination_backtest``);
the final members are the ``k`` best over all folds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.backtest import CUTOFF
from forecasting.backtest import MODEL
from forecasting.backtest import summarise
from forecasting.models import CLASSICAL
from forecasting.models import ForecastModel
from forecasting.series import DS
from forecasting.series import FORECAST_COLUMNS
from forecasting.series import ID
from forecasting.series import LOWER
from forecasting.series import UPPER
from forecasting.series import YHAT

CLASSICAL_COMBINATION = "combo_classical"
HOW = {"combo_mean": "mean", "combo_median": "median", CLASSICAL_COMBINATION: "median"}
"""Combination candidates by name: how each combines its members' forecasts (a pandas
aggregation)."""
K = 3


def classical_members(forecasts: pd.DataFrame) -> dict[str, list[str]]:
    """Per series forecast by every classical method (``forecasts`` with ``model``), those
    methods: the members of the classical combination."""
    found = forecasts.loc[forecasts[MODEL].isin(CLASSICAL), [ID, MODEL]].drop_duplicates()
    have = found.groupby(ID)[MODEL].nunique()
    return {str(uid): list(CLASSICAL) for uid in have[have == len(CLASSICAL)].index}


def members_of(
    name: str, forecasts: pd.DataFrame, scores: pd.DataFrame, k: int = K
) -> dict[str, list[str]]:
    """The members per series of combination ``name``, from backtest ``scores`` (best ``k``)
    or, for the classical combination, the models in ``forecasts``."""
    if name == CLASSICAL_COMBINATION:
        return classical_members(forecasts)
    return best_members(scores, k)


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
        fold = forecasts[forecasts[CUTOFF] == cutoff]
        parts += [combine(fold, members_of(how, fold, others, k), how) for how in HOW]
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
        return self.combined(forecasts)

    def combined(self, forecasts: pd.DataFrame) -> pd.DataFrame:
        """This combination of its members' forecasts (``forecasts`` with ``model``), as
        ``predict`` returns it, without forecasting again."""
        combined = combine(forecasts, self.members, self.name)
        return combined.sort_values([ID, DS]).reset_index(drop=True)[FORECAST_COLUMNS]
