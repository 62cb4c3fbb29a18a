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
from typing import Annotated

import pandas as pd
import typer

from cli.common import DataOption
from cli.common import OutputFormat
from forecasting.errors import ForecastingError
from forecasting.file_forecast import read_series
from forecasting.file_forecast import run_forecast
from forecasting.models import MODEL_FACTORIES
from forecasting.series import DEFAULT_LEVEL
from forecasting.series import DS
from forecasting.training import AUTO

app = typer.Typer()


ModelChoice = StrEnum("ModelChoice", {AUTO: AUTO, **{name: name for name in MODEL_FACTORIES}})


def _records(frame: pd.DataFrame) -> list[dict]:
    out = frame.copy()
    if DS in out.columns:
        out[DS] = out[DS].dt.strftime("%Y-%m-%d")
    return json.loads(out.to_json(orient="records", double_precision=10))


@app.command("forecast")
def forecast_command(
    data: DataOption,
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
        forecast, scores, skill = run_forecast(frame, horizon, model.value, backtest)
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
