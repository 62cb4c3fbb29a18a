"""Rolling-origin backtests, scores per series and model, and the champion choice.

A fold trains every model on the days up to its cutoff and forecasts the ``horizon`` days
after it, with the actual exogenous values of those days (planned spend and promotions
are known in advance). Cutoffs step back from the last day by ``step`` (default: the
horizon), so folds do not overlap. The champion is chosen on backtest MASE only, never
on in-sample fit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from forecasting import metrics
from forecasting.errors import ForecastingError
from forecasting.models import BASELINE, ModelFactory
from forecasting.series import DS, ID, LOWER, UPPER, YHAT, Y, exog_columns, validate_series

CUTOFF, MODEL, HORIZON = "cutoff", "model", "horizon"
SCORE_COLUMNS = ["mase", "wape", "bias", "coverage"]


def cutoffs(frame: pd.DataFrame, horizon: int, folds: int, step: int | None = None) -> list:
    """The fold cutoffs (last training day), oldest first."""
    if folds < 1 or horizon < 1:
        raise ForecastingError(f"need folds ≥ 1 and horizon ≥ 1, got {folds} and {horizon}")
    step = step or horizon
    last = frame[DS].max()
    return [last - pd.Timedelta(days=horizon + i * step) for i in reversed(range(folds))]


def backtest_forecasts(
    frame: pd.DataFrame,
    models: Mapping[str, ModelFactory],
    horizon: int,
    folds: int = 3,
    step: int | None = None,
) -> pd.DataFrame:
    """Every fold's forecasts: ``unique_id, ds, cutoff, model, y, yhat, yhat_lower, yhat_upper``."""
    frame = validate_series(frame)
    exog = exog_columns(frame)
    parts = []
    for cutoff in cutoffs(frame, horizon, folds, step):
        train = frame[frame[DS] <= cutoff]
        test = frame[(frame[DS] > cutoff) & (frame[DS] <= cutoff + pd.Timedelta(days=horizon))]
        if train[ID].nunique() != frame[ID].nunique():
            raise ForecastingError(
                f"every series needs history before the first cutoff {cutoff:%Y-%m-%d}; "
                "shorten the horizon or use fewer folds"
            )
        for name, factory in models.items():
            predicted = factory().fit(train).predict(horizon, test[[ID, DS, *exog]])
            scored = test[[ID, DS, Y]].merge(predicted, on=[ID, DS], how="left")
            parts.append(scored.assign(**{CUTOFF: cutoff, MODEL: name}))
    columns = [ID, DS, CUTOFF, MODEL, Y, YHAT, LOWER, UPPER]
    return pd.concat(parts, ignore_index=True)[columns]


def score_forecasts(
    forecasts: pd.DataFrame,
    frame: pd.DataFrame,
    horizons: Sequence[int] | None = None,
    season: int = 7,
) -> pd.DataFrame:
    """MASE, WAPE, bias and coverage per series, model, cutoff and horizon.

    ``horizons`` scores the first h days after each cutoff for every h (default: all days).
    MASE is scaled by the seasonal-naive MAE of the series' training part of that fold.
    """
    frame = validate_series(frame)
    history = {uid: group for uid, group in frame.groupby(ID, sort=False)}
    rows = []
    for (uid, model, cutoff), fold in forecasts.groupby([ID, MODEL, CUTOFF], sort=True):
        fold = fold.sort_values(DS)
        train_y = history[uid].loc[history[uid][DS] <= cutoff, Y]
        days_ahead = (fold[DS] - cutoff).dt.days
        for h in horizons or [int(days_ahead.max())]:
            part = fold[days_ahead <= h]
            if part.empty:
                continue
            rows.append(
                {
                    ID: uid,
                    MODEL: model,
                    CUTOFF: cutoff,
                    HORIZON: h,
                    "mase": metrics.mase(part[Y], part[YHAT], train_y, season),
                    "wape": metrics.wape(part[Y], part[YHAT]),
                    "bias": metrics.bias(part[Y], part[YHAT]),
                    "coverage": metrics.coverage(part[Y], part[LOWER], part[UPPER]),
                }
            )
    return pd.DataFrame(rows, columns=[ID, MODEL, CUTOFF, HORIZON, *SCORE_COLUMNS])


def backtest(
    frame: pd.DataFrame,
    models: Mapping[str, ModelFactory],
    horizon: int,
    folds: int = 3,
    step: int | None = None,
    horizons: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Rolling-origin scores: one row per series, model, fold cutoff and scored horizon."""
    forecasts = backtest_forecasts(frame, models, horizon, folds, step)
    return score_forecasts(forecasts, frame, horizons)


def holdout_evaluate(
    frame: pd.DataFrame, models: Mapping[str, ModelFactory], holdout_days: int
) -> pd.DataFrame:
    """Scores of every model on the last ``holdout_days`` days, trained on the days before."""
    return backtest(frame, models, horizon=holdout_days, folds=1)


def summarise(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean score over folds per series and model, at each series' longest scored horizon."""
    longest = scores[HORIZON] == scores.groupby([ID, MODEL])[HORIZON].transform("max")
    return scores[longest].groupby([ID, MODEL], as_index=False)[SCORE_COLUMNS].mean()


def choose_champion(scores: pd.DataFrame) -> pd.Series:
    """The model with the lowest mean backtest MASE per series (index ``unique_id``).

    Ties and series where no model has a finite MASE go to the seasonal-naive baseline
    when it was scored.
    """
    summary = summarise(scores)
    summary["mase"] = summary["mase"].where(summary["mase"].abs() != float("inf"))
    summary["not_baseline"] = summary[MODEL] != BASELINE
    ranked = summary.sort_values([ID, "mase", "not_baseline"], na_position="last", kind="stable")
    return ranked.groupby(ID, sort=True)[MODEL].first().rename("champion")
