"""Rolling-origin backtests, scores per series and model, and the champion choice.

A fold trains every model on the periods up to its cutoff and forecasts the ``horizon``
periods after it, with the actual exogenous values of those periods (planned spend and
promotions are known in advance). Cutoffs step back from the last period by ``step``
(default: the horizon), so folds do not overlap. The champion is chosen on backtest MASE only,
never on in-sample fit. Horizons count periods (days for the channel series).
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecasting import metrics
from forecasting.errors import ForecastingError
from forecasting.models import BASELINE
from forecasting.models import ModelFactory
from forecasting.parallel import run_all
from forecasting.series import DS
from forecasting.series import ID
from forecasting.series import LOWER
from forecasting.series import UPPER
from forecasting.series import YHAT
from forecasting.series import Y
from forecasting.series import exog_columns
from forecasting.series import frequency
from forecasting.series import season_length
from forecasting.series import validate_series

CUTOFF, MODEL, HORIZON = "cutoff", "model", "horizon"
SCORE_COLUMNS = ["mase", "wape", "bias", "coverage"]


def cutoffs(frame: pd.DataFrame, horizon: int, folds: int, step: int | None = None) -> list:
    """The fold cutoffs (last training period), oldest first."""
    if folds < 1 or horizon < 1:
        raise ForecastingError(f"need folds ≥ 1 and horizon ≥ 1, got {folds} and {horizon}")
    step = step or horizon
    dates = np.sort(frame[DS].unique())
    back = [horizon + i * step for i in reversed(range(folds))]
    if back[0] >= len(dates):
        raise ForecastingError(
            f"{folds} folds of {horizon} periods need more than {back[0]} periods of history"
        )
    return [pd.Timestamp(dates[-1 - b]) for b in back]


def steps_ahead(days: pd.Series, cutoff, dates: np.ndarray) -> np.ndarray:
    """How many periods after ``cutoff`` each date is, on the frame's calendar ``dates``."""
    return np.searchsorted(dates, days.to_numpy()) - np.searchsorted(dates, np.datetime64(cutoff))


def fit_and_predict(
    factory: ModelFactory, train: pd.DataFrame, horizon: int, future_exog: pd.DataFrame | None
) -> pd.DataFrame:
    return factory().fit(train).predict(horizon, future_exog)


def backtest_forecasts(
    frame: pd.DataFrame,
    models: Mapping[str, ModelFactory],
    horizon: int,
    folds: int = 3,
    step: int | None = None,
    workers: int | None = None,
) -> pd.DataFrame:
    """Every fold's forecasts: ``unique_id, ds, cutoff, model, y, yhat, yhat_lower, yhat_upper``
    (fits run on ``workers`` processes, see ``parallel``)."""
    frame = validate_series(frame)
    exog = exog_columns(frame)
    dates = np.sort(frame[DS].unique())
    tasks, labels, tests = [], [], {}
    for cutoff in cutoffs(frame, horizon, folds, step):
        train = frame[frame[DS] <= cutoff]
        ahead = steps_ahead(frame[DS], cutoff, dates)
        tests[cutoff] = frame[(ahead >= 1) & (ahead <= horizon)]
        if train[ID].nunique() != frame[ID].nunique():
            raise ForecastingError(
                f"every series needs history before the first cutoff {cutoff:%Y-%m-%d}; "
                "shorten the horizon or use fewer folds"
            )
        for name, factory in models.items():
            tasks.append((factory, train, horizon, tests[cutoff][[ID, DS, *exog]]))
            labels.append((cutoff, name))
    parts = []
    for (cutoff, name), predicted in zip(
        labels, run_all(fit_and_predict, tasks, workers), strict=True
    ):
        scored = tests[cutoff][[ID, DS, Y]].merge(predicted, on=[ID, DS], how="left")
        parts.append(scored.assign(**{CUTOFF: cutoff, MODEL: name}))
    columns = [ID, DS, CUTOFF, MODEL, Y, YHAT, LOWER, UPPER]
    return pd.concat(parts, ignore_index=True)[columns]


def score_forecasts(
    forecasts: pd.DataFrame,
    frame: pd.DataFrame,
    horizons: Sequence[int] | None = None,
    season: int | None = None,
) -> pd.DataFrame:
    """MASE, WAPE, bias and coverage per series, model, cutoff and horizon.

    ``horizons`` scores the first h periods after each cutoff for every h (default: all).
    MASE is scaled by the seasonal-naive MAE of the series' training part of that fold
    (``season`` defaults to the frequency's: 7 for daily series).
    """
    frame = validate_series(frame)
    season = season or season_length(frequency(frame))
    dates = np.sort(frame[DS].unique())
    history = {uid: group for uid, group in frame.groupby(ID, sort=False)}
    rows = []
    for (uid, model, cutoff), fold in forecasts.groupby([ID, MODEL, CUTOFF], sort=True):
        fold = fold.sort_values(DS)
        train_y = history[uid].loc[history[uid][DS] <= cutoff, Y]
        ahead = steps_ahead(fold[DS], cutoff, dates)
        for h in horizons or [int(ahead.max())]:
            part = fold[ahead <= h]
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
    forecasts = backtest_forecasts(frame, models, horizon, folds, step, workers=1)
    return score_forecasts(forecasts, frame, horizons)


def holdout_evaluate(
    frame: pd.DataFrame, models: Mapping[str, ModelFactory], holdout_days: int
) -> pd.DataFrame:
    """Scores of every model on the last ``holdout_days`` periods, trained on those before."""
    return backtest(frame, models, horizon=holdout_days, folds=1)


def summarise(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean score over folds per series and model, at each series' longest scored horizon."""
    longest = scores[HORIZON] == scores.groupby([ID, MODEL])[HORIZON].transform("max")
    return scores[longest].groupby([ID, MODEL], as_index=False)[SCORE_COLUMNS].mean()


def choose_champion(
    scores: pd.DataFrame,
    favoured: Sequence[str] = (),
    margin: float = 0.0,
    default: str | None = None,
) -> pd.Series:
    """The model with the lowest mean backtest MASE per series (index ``unique_id``); a model
    in ``favoured`` competes with its MASE lowered by ``margin`` (a share), so another must
    beat it by more than that.

    With a ``default`` model, a series scored for it keeps it unless another model has a lower
    MASE in every fold and a mean MASE lower by more than ``margin``: a challenger must win
    clearly and consistently, not by the luck of a fold or two.

    Ties and series where no model has a finite MASE go to the seasonal-naive baseline
    when it was scored.
    """
    summary = summarise(scores)
    summary["mase"] = summary["mase"].where(summary["mase"].abs() != float("inf"))
    summary["mase"] *= np.where(summary[MODEL].isin(list(favoured)), 1 - margin, 1.0)
    summary["not_baseline"] = summary[MODEL] != BASELINE
    ranked = summary.sort_values([ID, "mase", "not_baseline"], na_position="last", kind="stable")
    champions = ranked.groupby(ID, sort=True)[MODEL].first().rename("champion")
    if default is None:
        return champions
    return _keep_default(scores, champions, default, margin)


def _keep_default(
    scores: pd.DataFrame, champions: pd.Series, default: str, margin: float
) -> pd.Series:
    longest = scores[HORIZON] == scores.groupby([ID, MODEL])[HORIZON].transform("max")
    folds = scores[longest].pivot_table(index=[ID, CUTOFF], columns=MODEL, values="mase")
    out = champions.copy()
    for uid, fold in folds.groupby(level=ID):
        if default not in fold or not np.isfinite(fold[default]).all():
            continue
        mine = fold[default].to_numpy()
        others = fold.drop(columns=default)
        wins = others.columns[(others.to_numpy() < mine[:, None]).all(axis=0)]
        means = others[wins].mean()
        clear = means[means < (1 - margin) * mine.mean()]
        out[uid] = clear.idxmin() if len(clear) else default
    return out


def relative_skill(scores: pd.DataFrame, chosen: pd.Series) -> pd.DataFrame:
    """Per series: the ``chosen`` model's mean backtest MASE beside seasonal naive's and the
    best classical method's (ETS, Theta, ARIMA), and the two ratios (below 1: better)."""
    from forecasting.models import CLASSICAL

    summary = summarise(scores).pivot(index=ID, columns=MODEL, values="mase")
    classical = summary[[c for c in CLASSICAL if c in summary.columns]].dropna(how="all")
    mine = [
        summary.at[uid, model] if model in summary.columns else np.nan
        for uid, model in chosen.items()
    ]
    out = pd.DataFrame({"champion": chosen, "mase": mine}, index=chosen.index)
    out["snaive_mase"] = summary.get(BASELINE)
    out["classical"] = classical.idxmin(axis=1) if not classical.empty else None
    out["classical_mase"] = classical.min(axis=1) if not classical.empty else None
    out["mase_vs_snaive"] = out["mase"] / out["snaive_mase"]
    out["mase_vs_classical"] = out["mase"] / out["classical_mase"]
    return out.rename_axis(ID).reset_index()
