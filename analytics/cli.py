"""Command line face of the analytics package: ``channelperf anomalies``.

Reads a metric series from a CSV (or JSON lines / JSON records for ``.jsonl`` / ``.json``), runs
one of the automatic detectors and writes the flagged points to stdout. Bad input is reported on
stderr and ends with exit code 2.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

from analytics.anomaly.band import expected_band
from analytics.anomaly.series import infer_period
from analytics.anomaly.shesd import shesd_flags
from analytics.errors import AnalyticsError

app = typer.Typer(
    help="Channel Performance analytics: automatic anomaly detection on metric series.",
    no_args_is_help=True,
)
stderr = Console(stderr=True)

OUTPUT_COLUMNS = ["timestamp", "observed", "expected", "lower", "upper", "direction"]


class Method(StrEnum):
    band = "band"
    shesd = "shesd"


class Direction(StrEnum):
    both = "both"
    pos = "pos"
    neg = "neg"


class OutputFormat(StrEnum):
    csv = "csv"
    json = "json"


@app.callback()
def main() -> None:
    """Channel Performance analytics commands."""


def read_series(path: Path, time_col: str, value_col: str) -> pd.Series:
    """The ``value_col`` of the file indexed by ``time_col``; AnalyticsError on any bad input."""
    if not path.is_file():
        raise AnalyticsError(f"no such file: {path}")
    try:
        if path.suffix.lower() == ".jsonl":
            frame = pd.read_json(path, lines=True, dtype=False)
        elif path.suffix.lower() == ".json":
            text = path.read_text(encoding="utf-8").lstrip()
            frame = pd.read_json(path, lines=not text.startswith("["), dtype=False)
        else:
            frame = pd.read_csv(path, dtype={time_col: str})
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise AnalyticsError(f"cannot read {path}: {exc}") from exc
    missing = [c for c in (time_col, value_col) if c not in frame.columns]
    if missing:
        raise AnalyticsError(
            f"{path} has no column {', '.join(map(repr, missing))}; "
            f"it has {', '.join(map(repr, frame.columns))}"
        )
    try:
        timestamps = pd.to_datetime(frame[time_col].astype(str), format="mixed")
    except (ValueError, TypeError) as exc:
        raise AnalyticsError(f"column {time_col!r} has a value that is not a date: {exc}") from exc
    values = pd.to_numeric(frame[value_col], errors="coerce")
    bad = values.isna() & frame[value_col].notna()
    if bad.any():
        row = int(bad.idxmax())
        raise AnalyticsError(
            f"column {value_col!r} has a value that is not a number: "
            f"{frame[value_col].iloc[row]!r} (row {row + 1})"
        )
    index = pd.DatetimeIndex(timestamps)
    return pd.Series(values.to_numpy(dtype=float), index=index, name=value_col)


def flagged_points(
    y: pd.Series,
    method: Method,
    period: int | None,
    max_anoms: float,
    direction: Direction,
    alpha: float,
    k: float,
) -> pd.DataFrame:
    """The anomalous points as ``timestamp, observed, expected, lower, upper, direction``."""
    if method is Method.band:
        flags = expected_band(y, period=period, k=k)
    else:
        if period is None:
            period = infer_period(y.index)
            if period == 1:
                raise AnalyticsError("no seasonal period follows from the spacing; give --period")
        flags = shesd_flags(y, period, max_anoms=max_anoms, alpha=alpha, direction=direction.value)
        flags = flags.assign(lower=float("nan"), upper=float("nan"))
    flagged = flags[flags["is_anomaly"]]
    if direction is not Direction.both:
        flagged = flagged[flagged["direction"] == direction.value]
    return flagged.rename_axis("timestamp").reset_index()[OUTPUT_COLUMNS]


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
        flagged = flagged_points(y, method, period, max_anoms, direction, alpha, k)
    except AnalyticsError as exc:
        stderr.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
        raise typer.Exit(2) from exc
    if output_format is OutputFormat.json:
        sys.stdout.write(flagged.to_json(orient="records", date_format="iso") + "\n")
    else:
        flagged.to_csv(sys.stdout, index=False)
    stderr.print(f"{len(flagged)} anomalies in {len(y)} points ({method.value})", highlight=False)
