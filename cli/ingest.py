"""`channelperf ingest …` (load mapped files, sync a source) and `channelperf remap`."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn
from rich.progress import Progress
from rich.progress import TextColumn
from rich.progress import TimeElapsedColumn
from rich.table import Table

from cli.common import console
from cli.common import failing_on
from db.errors import CommandError
from ingestion.connectors.file_mapping import FileMapping
from ingestion.connectors.file_rows import check_header
from ingestion.errors import IngestionError
from ingestion.file_preview import FilePreview
from ingestion.file_preview import preview_data
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
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Map and validate only; write nothing"),
    ] = False,
) -> None:
    """Load CSV / JSON-lines files through a column mapping; bad rows go to the quarantine."""
    with failing_on(IngestionError):
        parsed = checked(mapping, paths)
    if dry_run:
        with failing_on(IngestionError):
            for path in paths:
                show_preview(path.name, preview_data(path.read_bytes(), parsed))
        return
    total = SyncResult()
    with (
        failing_on(IngestionError, CommandError),
        Progress(
            TextColumn("[bold]Ingesting[/bold] {task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,.0f} records read"),
            TimeElapsedColumn(),
            console=console,
        ) as progress,
    ):
        for n, path in enumerate(paths, 1):
            name = f"{escape(path.name)} ({n}/{len(paths)})"
            task = progress.add_task(name, total=None)
            read = partial(progress.advance, task)
            total.merge(ingest_file(path, mapping, on_rows=read))
            progress.update(task, total=progress.tasks[-1].completed)  # the bar full
    console.print(f"{len(paths)} file(s): {counts(total)}.")


def checked(mapping: Path, paths: list[Path]) -> FileMapping:
    """The mapping, once every file has the columns it reads: a bad mapping or file is refused
    before any file loads."""
    parsed = FileMapping.from_yaml(mapping)
    for path in paths:
        try:
            check_header(path.read_bytes(), parsed)
        except IngestionError as exc:
            raise IngestionError(f"{path.name}: {exc}") from None
    return parsed


def show_preview(name: str, preview: FilePreview) -> None:
    """The dry run of one file: the first mapped rows, then every reject with its reason."""
    console.print(
        f"[bold]{escape(name)}[/bold]: {preview.mapped:,} {preview.kind} record(s) mapped, "
        f"{len(preview.rejects):,} row(s) rejected; nothing was written."
    )
    if preview.rows:
        table = Table(title=f"First {len(preview.rows)} mapped record(s)")
        for column in preview.rows[0]:
            table.add_column(column, overflow="fold")
        for row in preview.rows:
            table.add_row(*(escape("" if v is None else str(v)) for v in row.values()))
        console.print(table)
    if preview.rejects:
        table = Table(title="Rejected rows")
        table.add_column("Line", justify="right")
        table.add_column("Reason", overflow="fold")
        for reject in preview.rejects:
            table.add_row(str(reject.row), escape(reject.reason))
        console.print(table)


@app.command("source")
def ingest_source(name: str = typer.Argument(..., help="Configured source name")) -> None:
    """Sync one configured source now, from its stored cursor."""
    with failing_on(IngestionError, CommandError):
        result = pull(name)
    console.print(f"{escape(name)}: {result.runs} page(s), {counts(result)}.")
