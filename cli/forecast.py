"""``channelperf forecast``: forecast a CSV / JSON file from the command line.

Output goes to stdout in the long format (``unique_id, ds, yhat, yhat_lower, yhat_upper,
model, level``). With ``--backtest`` the MASE and WAPE of every candidate on the last
``horizon`` days (trained on the days before) follow: in CSV after one blank line, in JSON
under ``"backtest"``. Bad input prints the reason on stderr and exits with code 2.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from forecasting.backtest import MODEL, holdout_evaluate
from forecasting.errors import ForecastingError
from forecasting.models import MODEL_FACTORIES, factories
from forecasting.series import DEFAULT_LEVEL, DS, FORECAST_COLUMNS, ID, Y, validate_series
from forecasting.training import AUTO, AUTO_CANDIDATES, train

SINGLE_SERIES_ID = "series"

app = typer.Typer()


class ModelChoice(StrEnum):
    auto = AUTO
    prophet = "prophet"
    lightgbm = "lightgbm"
    profile = "profile"
    snaive = "snaive"


class OutputFormat(StrEnum):
    csv = "csv"
    json = "json"


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


def _candidates(model: ModelChoice, shortest_train: int) -> list[str]:
    """``auto`` offers the models whose minimum history the shortest training part meets."""
    if model != ModelChoice.auto:
        return [model.value]
    return [n for n in AUTO_CANDIDATES if MODEL_FACTORIES[n].min_history <= shortest_train]


def run_forecast(
    frame: pd.DataFrame, horizon: int, model: ModelChoice, with_backtest: bool
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    shortest = int(frame.groupby(ID).size().min())
    if horizon < 1:
        raise ForecastingError(f"--horizon must be at least 1, got {horizon}")
    if shortest < 14:
        raise ForecastingError(f"every series needs at least 14 days; the shortest has {shortest}")
    scores = None
    if with_backtest:
        if shortest - horizon < 14:
            raise ForecastingError(
                f"--backtest holds out {horizon} days and needs 14 more; the shortest series "
                f"has {shortest}"
            )
        held_out = holdout_evaluate(
            frame, factories(_candidates(model, shortest - horizon)), holdout_days=horizon
        )
        scores = held_out[[ID, MODEL, "mase", "wape"]]
    if model == ModelChoice.auto:
        folds = min(3, (shortest - 1) // horizon - 1)
        names = _candidates(model, shortest - folds * horizon)
        if folds < 1 or not names:
            names, folds = ["snaive"], 0
        if folds:
            forecast = train(frame, names, horizon, folds).champion_forecast()
        else:
            forecast = _fit_one("snaive", frame, horizon)
    else:
        if shortest < MODEL_FACTORIES[model.value].min_history:
            raise ForecastingError(
                f"{model.value} needs at least {MODEL_FACTORIES[model.value].min_history} days "
                f"per series; the shortest has {shortest}"
            )
        forecast = _fit_one(model.value, frame, horizon)
    return forecast, scores


def _fit_one(name: str, frame: pd.DataFrame, horizon: int) -> pd.DataFrame:
    fitted = MODEL_FACTORIES[name]().fit(frame)
    return fitted.predict(horizon)[FORECAST_COLUMNS].assign(**{MODEL: name})


def _records(frame: pd.DataFrame) -> list[dict]:
    out = frame.copy()
    if DS in out.columns:
        out[DS] = out[DS].dt.strftime("%Y-%m-%d")
    return json.loads(out.to_json(orient="records", double_precision=10))


@app.command("forecast")
def forecast_command(
    data: Annotated[Path, typer.Option("--data", help="CSV, JSON or JSON-lines file.")],
    time_col: Annotated[str, typer.Option("--time-col", help="Column with the day.")],
    value_col: Annotated[str, typer.Option("--value-col", help="Column with the value.")],
    horizon: Annotated[int, typer.Option("--horizon", help="Days to forecast.")],
    id_col: Annotated[
        str | None, typer.Option("--id-col", help="Column naming each series, if several.")
    ] = None,
    model: Annotated[
        ModelChoice, typer.Option("--model", help="auto picks per series by backtest MASE.")
    ] = ModelChoice.auto,
    backtest: Annotated[
        bool, typer.Option("--backtest", help="Also score each model on the last horizon.")
    ] = False,
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.csv,
) -> None:
    """Forecast every series in a file and write the forecast to stdout."""
    try:
        frame = read_series(data, time_col, value_col, id_col)
        forecast, scores = run_forecast(frame, horizon, model, backtest)
    except ForecastingError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    level = DEFAULT_LEVEL
    forecast = forecast.assign(level=level)
    if output_format == OutputFormat.json:
        payload = {"level": level, "forecast": _records(forecast)}
        if scores is not None:
            payload["backtest"] = _records(scores)
        typer.echo(json.dumps(payload))
        return
    out = forecast.assign(**{DS: forecast[DS].dt.strftime("%Y-%m-%d")})
    sys.stdout.write(out.to_csv(index=False))
    if scores is not None:
        sys.stdout.write("\n" + scores.to_csv(index=False))
