"""Forecasting a series file (``channelperf forecast``): reading a CSV, JSON or JSON-lines file
into a validated long frame and forecasting it with one model or the backtest's champion,
optionally with the backtest scores and each series' skill.

Bad input raises ``ForecastingError`` with the reason.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecasting.backtest import MODEL
from forecasting.backtest import holdout_evaluate
from forecasting.backtest import relative_skill
from forecasting.backtest import summarise
from forecasting.errors import ForecastingError
from forecasting.models import CLASSICAL
from forecasting.models import MODEL_FACTORIES
from forecasting.models import factories
from forecasting.series import DS
from forecasting.series import FORECAST_COLUMNS
from forecasting.series import ID
from forecasting.series import Y
from forecasting.series import validate_series
from forecasting.training import AUTO
from forecasting.training import candidate_models
from forecasting.training import train

SINGLE_SERIES_ID = "series"
# Two years of days; a longer horizon forecasts nothing a model could know (and, in months,
# would run past the dates a timestamp holds).
MAX_HORIZON = 730


def read_series(path: Path, time_col: str, value_col: str, id_col: str | None) -> pd.DataFrame:
    """A CSV, JSON (records) or JSON-lines file as a validated long frame."""
    if not path.is_file():
        raise ForecastingError(f"data file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson"):
            raw = pd.read_json(path, lines=True)
        elif suffix == ".json":
            raw = pd.read_json(path)
        else:
            raw = pd.read_csv(path)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ForecastingError(f"cannot read {path.name}: {exc}") from exc
    wanted = [time_col, value_col, *([id_col] if id_col else [])]
    missing = [c for c in wanted if c not in raw.columns]
    if missing:
        raise ForecastingError(
            f"{path.name} has no column(s) {missing}; it has {list(raw.columns)}"
        )
    frame = pd.DataFrame(
        {
            ID: raw[id_col].astype(str) if id_col else SINGLE_SERIES_ID,
            DS: raw[time_col],
            Y: raw[value_col],
        }
    )
    return validate_series(frame)


def _candidates(frame: pd.DataFrame, shortest_train: int) -> list[str]:
    """``auto`` offers the models whose minimum history the shortest training part meets."""
    names = candidate_models(AUTO, frame)
    return [n for n in names if MODEL_FACTORIES[n].min_history <= shortest_train]


SCORES = [ID, MODEL, "mase", "wape"]


def run_forecast(
    frame: pd.DataFrame, horizon: int, model: str, with_backtest: bool
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    """The forecast of ``model`` (a name in ``MODEL_FACTORIES``, or ``auto``: per series the
    candidate with the best backtest MASE) and, with ``with_backtest``, the candidates' scores
    and each series' skill."""
    shortest = int(frame.groupby(ID).size().min())
    if not 1 <= horizon <= MAX_HORIZON:
        raise ForecastingError(f"--horizon must be 1 to {MAX_HORIZON} steps, got {horizon}")
    if shortest < 14:
        raise ForecastingError(f"every series needs at least 14 days; the shortest has {shortest}")
    if with_backtest and shortest - horizon < 14:
        raise ForecastingError(
            f"--backtest holds out {horizon} days and needs 14 more; the shortest series "
            f"has {shortest}"
        )
    if model == AUTO:
        folds = min(3, (shortest - 1) // horizon - 1)
        names = _candidates(frame, shortest - folds * horizon) if folds >= 1 else []
        if names:
            result = train(frame, names, horizon, folds)
            scores = summarise(result.scores)[SCORES] if with_backtest else None
            skill = result.skill if with_backtest else None
            return result.champion_forecast(), scores, skill
        model = "snaive"
    if shortest < MODEL_FACTORIES[model].min_history:
        raise ForecastingError(
            f"{model} needs at least {MODEL_FACTORIES[model].min_history} days "
            f"per series; the shortest has {shortest}"
        )
    forecast = _fit_one(model, frame, horizon)
    if not with_backtest:
        return forecast, None, None
    peers = [n for n in CLASSICAL if MODEL_FACTORIES[n].min_history <= shortest - horizon]
    held_out = holdout_evaluate(frame, factories([model, *peers]), holdout_days=horizon)
    chosen = pd.Series(model, index=sorted(frame[ID].unique()))
    return forecast, held_out[SCORES], relative_skill(held_out, chosen)


def _fit_one(name: str, frame: pd.DataFrame, horizon: int) -> pd.DataFrame:
    fitted = MODEL_FACTORIES[name]().fit(frame)
    return fitted.predict(horizon)[FORECAST_COLUMNS].assign(**{MODEL: name})
