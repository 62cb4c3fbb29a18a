"""``channelperf forecast``: forecast a CSV / JSON file from the command line.

Output goes to stdout in the long format (``unique_id, ds, yhat, yhat_lower, yhat_upper,
model, level``). With ``--backtest`` two tables follow (in CSV each after one blank line, in
JSON under ``"backtest"`` and ``"skill"``): the mean backtest MASE and WAPE of every
candidate (``auto``: over the rolling origins that chose the champion; one model: on the last
``horizon`` periods, beside seasonal naive and the classical methods), and per series the
chosen forecast's MASE against seasonal naive's and the best classical method's. Bad input
prints the reason on stderr and exits with code 2.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from forecasting.backtest import MODEL, holdout_evaluate, relative_skill, summarise
from forecasting.errors import ForecastingError
from forecasting.models import CLASSICAL, MODEL_FACTORIES, factories
from forecasting.series import DEFAULT_LEVEL, DS, FORECAST_COLUMNS, ID, Y, validate_series
from forecasting.training import AUTO, candidate_models, train

SINGLE_SERIES_ID = "series"

app = typer.Typer()


ModelChoice = StrEnum("ModelChoice", {AUTO: AUTO, **{name: name for name in MODEL_FACTORIES}})


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


def _candidates(frame: pd.DataFrame, shortest_train: int) -> list[str]:
    """``auto`` offers the models whose minimum history the shortest training part meets."""
    names = candidate_models(AUTO, frame)
    return [n for n in names if MODEL_FACTORIES[n].min_history <= shortest_train]


SCORES = [ID, MODEL, "mase", "wape"]


def run_forecast(
    frame: pd.DataFrame, horizon: int, model: ModelChoice, with_backtest: bool
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    """The forecast and, with ``with_backtest``, the candidates' scores and each series' skill."""
    shortest = int(frame.groupby(ID).size().min())
    if horizon < 1:
        raise ForecastingError(f"--horizon must be at least 1, got {horizon}")
    if shortest < 14:
        raise ForecastingError(f"every series needs at least 14 days; the shortest has {shortest}")
    if with_backtest and shortest - horizon < 14:
        raise ForecastingError(
            f"--backtest holds out {horizon} days and needs 14 more; the shortest series "
            f"has {shortest}"
        )
    if model == ModelChoice.auto:
        folds = min(3, (shortest - 1) // horizon - 1)
        names = _candidates(frame, shortest - folds * horizon) if folds >= 1 else []
        if names:
            result = train(frame, names, horizon, folds)
            scores = summarise(result.scores)[SCORES] if with_backtest else None
            skill = result.skill if with_backtest else None
            return result.champion_forecast(), scores, skill
        model = ModelChoice.snaive
    if shortest < MODEL_FACTORIES[model.value].min_history:
        raise ForecastingError(
            f"{model.value} needs at least {MODEL_FACTORIES[model.value].min_history} days "
            f"per series; the shortest has {shortest}"
        )
    forecast = _fit_one(model.value, frame, horizon)
    if not with_backtest:
        return forecast, None, None
    peers = [n for n in CLASSICAL if MODEL_FACTORIES[n].min_history <= shortest - horizon]
    held_out = holdout_evaluate(frame, factories([model.value, *peers]), holdout_days=horizon)
    chosen = pd.Series(model.value, index=sorted(frame[ID].unique()))
    return forecast, held_out[SCORES], relative_skill(held_out, chosen)


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
        bool,
        typer.Option(
            "--backtest",
            help="Also print backtest scores and each series' MASE against seasonal naive "
            "and the best classical method.",
        ),
    ] = False,
    output_format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.csv,
) -> None:
    """Forecast every series in a file and write the forecast to stdout."""
    try:
        frame = read_series(data, time_col, value_col, id_col)
        forecast, scores, skill = run_forecast(frame, horizon, model, backtest)
    except ForecastingError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from exc
    level = DEFAULT_LEVEL
    forecast = forecast.assign(level=level)
    if output_format == OutputFormat.json:
        payload = {"level": level, "forecast": _records(forecast)}
        if scores is not None:
            payload["backtest"] = _records(scores)
            payload["skill"] = _records(skill)
        typer.echo(json.dumps(payload))
        return
    out = forecast.assign(**{DS: forecast[DS].dt.strftime("%Y-%m-%d")})
    sys.stdout.write(out.to_csv(index=False))
    if scores is not None:
        sys.stdout.write("\n" + scores.to_csv(index=False))
        sys.stdout.write("\n" + skill.to_csv(index=False))
