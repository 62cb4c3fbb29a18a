"""`channelperf remap`: apply the current channel rules to past orders."""

from __future__ import annotations

import typer
from rich.markup import escape

from cli.common import ACTOR
from cli.common import console
from ingestion.remap import remap

app = typer.Typer()


@app.command("remap")
def remap_command() -> None:
    """Re-derive past orders' touchpoints with the current channel rules (audited)."""
    result = remap(actor=ACTOR)
    moves = escape(", ".join(f"{a} → {b}: {n:,}" for (a, b), n in sorted(result.moved.items())))
    console.print(
        f"Rule set v{result.version}: {result.orders_moved:,} orders moved"
        f"{' (' + moves + ')' if moves else ''}; rollups of {len(result.days):,} days rebuilt."
    )
