"""One training pass: backtest the candidate models, pick a champion per series, refit the
models that won (and the baseline) on all the history, forecast, and calibrate the forecast's
intervals on the backtest errors (``calibration``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from forecasting.backtest import MODEL, backtest_forecasts, choose_champion, score_forecasts
from forecasting.calibration import calibrate, interval_scales
from forecasting.errors import ForecastingError
from forecasting.models import BASELINE, MODEL_FACTORIES, ForecastModel, ModelFactory, factories
from forecasting.series import FORECAST_COLUMNS, ID, validate_series

AUTO = "auto"
AUTO_CANDIDATES = ("prophet", "lightgbm", "profile")


@dataclass
class TrainingResult:
    horizon: int
    level: int
    scores: pd.DataFrame
    """Backtest scores per series, model, fold cutoff and horizon (see ``backtest``)."""
    champions: pd.Series
    """Champion model name per ``unique_id``."""
    backtest_forecasts: pd.DataFrame
    forecasts: pd.DataFrame
    """``unique_id, ds, yhat, yhat_lower, yhat_upper, model`` of every refitted model, with
    intervals calibrated on the backtest."""
    fitted: dict[str, ForecastModel] = field(repr=False)
    interval_scales: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    """Per series and model, the factors on the interval's half-widths (``calibration``)."""
    future_exog: pd.DataFrame | None = field(default=None, repr=False)

    def champion_forecast(self) -> pd.DataFrame:
        """The champion's forecast of every series, with its ``model`` name."""
        chosen = self.champions.rename(MODEL).reset_index()
        return self.forecasts.merge(chosen, on=[ID, MODEL]).reset_index(drop=True)


def candidate_models(choice: str | Sequence[str]) -> dict[str, ModelFactory]:
    """``auto`` means Prophet, LightGBM and the profile model; a name or list of names means
    those models. The seasonal-naive baseline is always added."""
    names = [choice] if isinstance(choice, str) else list(choice)
    if names == [AUTO]:
        names = list(AUTO_CANDIDATES)
    return factories(names)


def train(
    frame: pd.DataFrame,
    models: str | Sequence[str] | dict[str, ModelFactory] = AUTO,
    horizon: int = 56,
    folds: int = 3,
    future_exog: pd.DataFrame | None = None,
) -> TrainingResult:
    """Backtest ``models`` over ``folds`` rolling origins, choose a champion per series by mean
    backtest MASE, refit the winners and the baseline on all of ``frame``, forecast ``horizon``
    days (with ``future_exog`` where planned values exist) and calibrate each forecast's
    interval so that it would have covered ``level`` % of the backtest's actuals."""
    frame = validate_series(frame)
    candidates = models if isinstance(models, dict) else candidate_models(models)
    if BASELINE not in candidates:
        candidates = {BASELINE: MODEL_FACTORIES[BASELINE], **candidates}
    if frame.groupby(ID).size().min() <= horizon * (folds + 1):
        raise ForecastingError(
            f"each series needs more than {horizon * (folds + 1)} days for {folds} backtest "
            f"folds of {horizon} days"
        )
    folds_forecasts = backtest_forecasts(frame, candidates, horizon, folds)
    scores = score_forecasts(
        folds_forecasts, frame, horizons=sorted({7, 28, horizon} & set(range(1, horizon + 1)))
    )
    champions = choose_champion(scores)
    winners = [name for name in candidates if name == BASELINE or name in set(champions)]
    fitted: dict[str, ForecastModel] = {}
    parts = []
    for name in winners:
        fitted[name] = candidates[name]().fit(frame)
        predicted = fitted[name].predict(horizon, future_exog)
        parts.append(predicted[FORECAST_COLUMNS].assign(**{MODEL: name}))
    level = next(iter(fitted.values())).level
    scales = interval_scales(folds_forecasts[folds_forecasts[MODEL].isin(winners)], level)
    return TrainingResult(
        horizon=horizon,
        level=level,
        scores=scores,
        champions=champions,
        backtest_forecasts=folds_forecasts,
        forecasts=calibrate(pd.concat(parts, ignore_index=True), scales),
        fitted=fitted,
        interval_scales=scales,
        future_exog=future_exog,
    )
