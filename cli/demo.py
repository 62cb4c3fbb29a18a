"""`channelperf demo-data`: the demo data set, loaded through the real connectors."""

from __future__ import annotations

import typer
from rich.progress import BarColumn
from rich.progress import MofNCompleteColumn
from rich.progress import Progress
from rich.progress import TextColumn
from rich.progress import TimeElapsedColumn

from analytics.errors import AnalyticsError
from analytics.periods import require_over
from analytics.rollup import data_range
from analytics.targets import import_targets
from cli.common import console
from cli.common import date_option
from cli.common import failing_on
from db.engine import get_engine
from db.roles import system
from db.settings import get_settings
from ingestion.demo import generate_targets
from ingestion.demo.load import load_demo_native
from ingestion.demo.plan import period_start
from ingestion.demo.sources import register_demo_sources

app = typer.Typer()


@app.command("demo-data")
def demo_data(
    orders: int = typer.Option(300_000, min=1_000, help="About how many orders to generate"),
    seed: int = typer.Option(7, help="Random seed: the same seed gives the same data"),
    end: str = typer.Option(None, help="Last day (YYYY-MM-DD); default: yesterday"),
    years: int = typer.Option(3, min=1, max=5, help="Years of history"),
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing if orders are loaded"),
) -> None:
    """Generate the demo data set as each source's native payloads and load it through the
    connectors, registering the demo's sources (idempotent: running it again changes nothing)."""
    last = date_option("end", end) or get_settings().last_day_over()
    with failing_on(AnalyticsError):
        require_over(last)
    engine = get_engine()
    if if_empty and data_range() is not None:
        console.print("Data already loaded; skipping the demo data (--if-empty).")
        return
    start = period_start(last, years)
    register_demo_sources(system("demo-data"))
    with Progress(
        TextColumn("[bold]Loading demo data through the connectors[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days · {task.fields[orders]:,} orders"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("load", total=(last - start).days + 1, orders=0)
        total = load_demo_native(
            engine,
            orders,
            seed,
            last,
            years=years,
            progress=lambda chunk, running: progress.update(
                task, advance=(chunk.last_day - chunk.first_day).days + 1, orders=running.read
            ),
        )
    targets = generate_targets(orders, seed, last, years=years)
    import_targets(targets, system("demo-data"))
    console.print(
        f"Read {total.read:,} orders: {total.inserted:,} new, {total.updated:,} updated, "
        f"{total.unchanged:,} unchanged, {total.rejected:,} quarantined; "
        f"{len(targets):,} targets set."
    )
