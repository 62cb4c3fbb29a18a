"""``channelperf metrics``: the metrics API's answer from the shell, as JSON or CSV.

Bad input is reported on stderr naming the parameter.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from analytics.compare import BY_CHOICES
from analytics.compare import ParameterError
from analytics.compare import as_payload
from analytics.compare import parse_request
from analytics.compare import table_for
from cli.common import OutputFormat
from cli.common import fail
from db.settings import get_settings

app = typer.Typer()


@app.command("metrics")
def metrics_command(
    metric: Annotated[str, typer.Option(help="revenue, orders, aov, conversion_rate, …")],
    by: Annotated[str, typer.Option(help=" | ".join(BY_CHOICES))],
    start: Annotated[str, typer.Option(help="first day, YYYY-MM-DD")],
    end: Annotated[str, typer.Option(help="last day (inclusive), YYYY-MM-DD")],
    compare: Annotated[
        list[str] | None, typer.Option(help="prior and/or yoy; repeat for several")
    ] = None,
    grain: Annotated[
        str | None, typer.Option(help="split a breakdown by day, week, month or quarter")
    ] = None,
    channel: Annotated[list[str] | None, typer.Option(help="channel category code")] = None,
    touchpoint: Annotated[list[str] | None, typer.Option(help="touchpoint code")] = None,
    region: Annotated[list[str] | None, typer.Option(help="region code")] = None,
    location: Annotated[list[str] | None, typer.Option(help="store code")] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="json (as the API) or csv (one row a line)")
    ] = OutputFormat.json,
) -> None:
    """A metric for a period with its prior-period and last-year comparisons."""
    settings = get_settings()
    given = {"channel": channel, "touchpoint": touchpoint, "region": region, "location": location}
    try:
        request = parse_request(
            metric=metric,
            by=by,
            start=start,
            end=end,
            max_days=settings.max_range_days,
            compare=compare or (),
            grain=grain,
            filters={name: values for name, values in given.items() if values},
        )
    except ParameterError as error:
        raise fail(f"--{error.parameter}: {error}") from error
    table = table_for(request, settings.fiscal_year_start_month)
    if output_format is OutputFormat.csv:
        table.to_csv(sys.stdout, index=False)
        return
    payload = as_payload(request, table, settings.base_currency, settings.fiscal_year_start_month)
    sys.stdout.write(json.dumps(payload) + "\n")
