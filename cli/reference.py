"""`channelperf reference …`: reference data the sources do not carry (exchange rates, regions)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from cli.common import ACTOR
from cli.common import console
from cli.common import failing_on
from ingestion.errors import IngestionError
from ingestion.reference_files import describe_rates
from ingestion.reference_files import load_rates_file
from ingestion.reference_files import load_region_file

app = typer.Typer(
    name="reference",
    help="Reference data the sources do not carry: exchange rates, region mappings.",
    no_args_is_help=True,
)


@app.command("load-fx")
def reference_load_fx(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV of rates")],
    inverse: bool = typer.Option(
        False, "--inverse", help="Rates are units of the currency per unit of the base currency"
    ),
) -> None:
    """Load exchange rates: CSV day,currency,rate (base currency per unit of the currency),
    or ECB-style Date,USD,JPY,… columns. Orders take the latest rate on or before their day."""
    with failing_on(IngestionError):
        rates = load_rates_file(path, ACTOR, inverse)
    console.print(f"{escape(describe_rates(rates))}.")


@app.command("load-regions")
def reference_load_regions(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV of mappings")],
) -> None:
    """Load region mappings: CSV source_system,kind,value,region (source_system empty or "*"
    for every source), e.g. sap,sales_org,1010,de or *,country,DE,de."""
    with failing_on(IngestionError):
        mappings = load_region_file(path, ACTOR)
    console.print(f"{len(mappings):,} region mappings loaded.")
