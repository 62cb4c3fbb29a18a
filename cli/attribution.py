"""``channelperf attribution``: attribute conversions and value to channels from a file of
aggregated paths (``path, total_conversions, total_conversion_value, total_null``)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from analytics.attribution import attribute
from analytics.attribution import read_paths
from analytics.errors import AnalyticsError
from cli.common import FormatOption
from cli.common import errors
from cli.common import failing_on
from cli.common import write_frame


class ModelChoice(StrEnum):
    markov = "markov"
    shapley = "shapley"
    first = "first"
    last = "last"
    linear = "linear"
    time_decay = "time_decay"
    position = "position"


app = typer.Typer()


@app.command("attribution")
def attribution_command(
    paths: Annotated[Path, typer.Option("--paths", help="Aggregated paths (CSV, , or ;).")],
    model: Annotated[ModelChoice, typer.Option("--model", help="Attribution model.")],
    output: FormatOption,
    order: Annotated[int, typer.Option("--order", help="Markov chain order.")] = 1,
    half_life: Annotated[
        float,
        typer.Option("--half-life", help="time_decay: half-life in steps before the conversion."),
    ] = 7.0,
) -> None:
    """One row per channel: channel, conversions, value (and removal_effect for Markov)."""
    with failing_on(AnalyticsError):
        table = read_paths(paths)
        with errors.status(f"Attributing {table.n_paths:,} paths ({model.value})"):
            result = attribute(table, model.value, order=order, half_life=half_life)
    write_frame(result, output)
    errors.print(
        f"{table.total_conversions:,.0f} conversions over {len(table.channels)} channels "
        f"({model.value})",
        highlight=False,
    )
