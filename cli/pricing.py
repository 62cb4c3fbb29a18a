"""``channelperf elasticity``: own-price elasticities from a file of prices and quantities,
by OLS or, with instruments, two-stage least squares."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from analytics.errors import AnalyticsError
from analytics.pricing.elasticity import elasticity_table
from cli.common import DataOption
from cli.common import FormatOption
from cli.common import errors
from cli.common import failing_on
from cli.common import read_table
from cli.common import write_frame

app = typer.Typer()


@app.command("elasticity")
def elasticity_command(
    data: DataOption,
    price: Annotated[str, typer.Option("--price", help="Column with the price.")],
    quantity: Annotated[str, typer.Option("--quantity", help="Column with the quantity.")],
    output: FormatOption,
    instrument: Annotated[
        list[str] | None, typer.Option("--instrument", help="Instrument for price (repeatable).")
    ] = None,
    control: Annotated[
        list[str] | None, typer.Option("--control", help="Control column (repeatable).")
    ] = None,
    group: Annotated[
        str | None, typer.Option("--group", help="Column to estimate one elasticity per value.")
    ] = None,
) -> None:
    """Per group: elasticity, std_error, ci_low, ci_high, method, n (first_stage_f for 2SLS)."""
    with failing_on(AnalyticsError):
        frame = read_table(data)
        with errors.status("Estimating"):
            table = elasticity_table(frame, price, quantity, instrument or (), control or (), group)
    if not instrument:
        table = table.drop(columns="first_stage_f")
    write_frame(table, output)
    for row in table.itertuples(index=False):
        if row.warning:
            label = f"{getattr(row, group)}: " if group else ""
            errors.print(escape(f"warning: {label}{row.warning}"), highlight=False)
