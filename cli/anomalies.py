"""``channelperf anomalies``: flag the anomalous points of a metric series read from a file
(CSV, or JSON lines / JSON records for ``.jsonl`` / ``.json``), written to stdout."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from analytics.anomaly.flagged import flagged_points
from analytics.anomaly.flagged import read_series
from analytics.errors import AnalyticsError
from cli.common import OutputFormat
from cli.common import errors
from cli.common import fail

app = typer.Typer()


class Method(StrEnum):
    band = "band"
    shesd = "shesd"


class Direction(StrEnum):
    both = "both"
    pos = "pos"
    neg = "neg"


@app.command()
def anomalies(
    data: Annotated[Path, typer.Option(help="CSV file, or JSON lines (.jsonl / .json)")],
    time_col: Annotated[str, typer.Option(help="column with the timestamps")],
    value_col: Annotated[str, typer.Option(help="column with the metric values")],
    method: Annotated[Method, typer.Option(help="band: learned expected band; shesd: S-H-ESD")],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="output written to stdout")
    ] = OutputFormat.csv,
    period: Annotated[
        int | None, typer.Option(help="observations per season (default: from the spacing)")
    ] = None,
    max_anoms: Annotated[
        float, typer.Option(help="shesd: largest share of points that may be anomalies")
    ] = 0.1,
    direction: Annotated[
        Direction, typer.Option(help="which anomalies to report")
    ] = Direction.both,
    alpha: Annotated[float, typer.Option(help="shesd: significance level")] = 0.05,
    k: Annotated[float, typer.Option(help="band: half-width in forecast-error sds")] = 3.0,
) -> None:
    """Flag the anomalous points of a metric series read from a file."""
    try:
        y = read_series(data, time_col, value_col)
        flagged = flagged_points(y, method.value, period, max_anoms, direction.value, alpha, k)
    except AnalyticsError as exc:
        raise fail(str(exc)) from exc
    if output_format is OutputFormat.json:
        sys.stdout.write(flagged.to_json(orient="records", date_format="iso") + "\n")
    else:
        flagged.to_csv(sys.stdout, index=False)
    errors.print(f"{len(flagged)} anomalies in {len(y)} points ({method.value})", highlight=False)
