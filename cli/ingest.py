"""`channelperf ingest …` (load mapped files, sync a source) and `channelperf remap`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from cli.common import console, failing_on
from db.errors import CommandError
from ingestion.errors import IngestionError
from ingestion.file_sync import ingest_file
from ingestion.sync import SyncResult
from ingestion.worker import pull

app = typer.Typer(name="ingest", help="Load mapped files or sync a source.", no_args_is_help=True)


def counts(result: SyncResult) -> str:
    return (
        f"read {result.read:,}: {result.inserted:,} new, {result.updated:,} updated, "
        f"{result.unchanged:,} unchanged, {result.rejected:,} rejected"
    )


@app.command("file")
def ingest_files(
    paths: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="Files to load")],
    mapping: Annotated[
        Path, typer.Option("--mapping", exists=True, dir_okay=False, help="YAML column mapping")
    ],
) -> None:
    """Load CSV / JSON-lines files through a column mapping; bad rows go to the quarantine."""
    total = SyncResult()
    with (
        failing_on(IngestionError, CommandError),
        Progress(
            TextColumn("[bold]Ingesting[/bold]"), BarColumn(), MofNCompleteColumn(), console=console
        ) as progress,
    ):
        task = progress.add_task("files", total=len(paths))
        for path in paths:
            total.merge(ingest_file(path, mapping))
            progress.advance(task)
    console.print(f"{len(paths)} file(s): {counts(total)}.")


@app.command("source")
def ingest_source(name: str = typer.Argument(..., help="Configured source name")) -> None:
    """Sync one configured source now, from its stored cursor."""
    with failing_on(IngestionError, CommandError):
        result = pull(name)
    console.print(f"{name}: {result.runs} page(s), {counts(result)}.")
