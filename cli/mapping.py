"""`channelperf mapping …`: draft a file mapping from an export, and keep mappings by name."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from cli.common import ACTOR
from cli.common import PlainTable
from cli.common import console
from cli.common import failing_on
from cli.common import output_file
from cli.common import write_output
from db.errors import CommandError
from ingestion.connectors.file_mapping import mapping_text
from ingestion.errors import IngestionError
from ingestion.mapping_suggest import KINDS
from ingestion.mapping_suggest import suggest_mapping
from ingestion.saved_mappings import delete_mapping
from ingestion.saved_mappings import list_mappings
from ingestion.saved_mappings import save_mapping

app = typer.Typer(name="mapping", help="Draft and keep file mappings.", no_args_is_help=True)

FileArgument = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The export")]


@app.command("suggest")
def suggest(
    path: FileArgument,
    kind: Annotated[str, typer.Option("--kind", help=f"One of {', '.join(KINDS)}")],
    source: Annotated[str, typer.Option(help="The source system the records come from")] = "",
    output: Annotated[
        Path | None, typer.Option("--output", dir_okay=False, help="Write the YAML here")
    ] = None,
) -> None:
    """Draft a mapping YAML from the file's header and values, for you to edit."""
    if output is not None:
        output_file("--output", output)
    with failing_on(IngestionError):
        text = suggest_mapping(path.read_bytes(), kind, source.strip() or path.stem.lower())
    if output is None:
        sys.stdout.write(text)  # as is: a terminal's width must not wrap the YAML
        return
    write_output(output, text.encode())
    console.print(
        f"Wrote {escape(str(output))}: edit it, then `channelperf ingest file --dry-run`."
    )


@app.command("save")
def save(
    name: Annotated[str, typer.Argument(help="Name to keep it under")],
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The mapping YAML")],
) -> None:
    """Save (or replace) a mapping by name, for uploads in the app."""
    with failing_on(CommandError, IngestionError):
        info = save_mapping(name, mapping_text(path.read_bytes()), ACTOR)
    console.print(f"Saved {info.kind} mapping {escape(repr(info.name))}.")


@app.command("list")
def list_saved() -> None:
    """The saved mappings."""
    table = PlainTable("Name", "Kind", "Updated (UTC)", "By")
    for info in list_mappings(ACTOR):
        stamp = info.updated_at.strftime("%Y-%m-%d %H:%M")
        table.add_row(info.name, info.kind, stamp, info.updated_by)
    console.print(table)


@app.command("delete")
def delete(name: Annotated[str, typer.Argument(help="The saved mapping")]) -> None:
    """Delete a saved mapping."""
    with failing_on(CommandError):
        delete_mapping(name, ACTOR)
    console.print(f"Deleted mapping {escape(repr(name))}.")
