"""`channelperf rejects …`: the quarantine of payloads that failed."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from cli.common import ACTOR
from cli.common import PlainTable
from cli.common import console
from cli.common import failing_on
from cli.ingest import counts
from db.errors import CommandError
from db.ingestion_tables import REJECT_STATUSES
from ingestion.quarantine import count_rejects
from ingestion.quarantine import discard
from ingestion.quarantine import get_reject
from ingestion.quarantine import list_rejects
from ingestion.quarantine import replay

app = typer.Typer(
    name="rejects", help="The quarantine of payloads that failed.", no_args_is_help=True
)


@app.command("list")
def rejects_list(
    status: str = typer.Option("quarantined", help=f"{' | '.join(REJECT_STATUSES)} | all"),
    source: str = typer.Option(None, help="Source name or system"),
    limit: int = typer.Option(50, min=1),
) -> None:
    """The newest rejects with their reasons, and whether a replay can load them."""
    chosen = None if status == "all" else status
    with failing_on(CommandError):
        rows = list_rejects(chosen, source, limit)
        total = count_rejects(chosen, source)
    table = PlainTable("id", "received (UTC)", "source", "record", "status", "replay", "reason")
    for r in rows:
        table.add_row(
            str(r.id),
            r.received_at.strftime("%Y-%m-%d %H:%M"),
            r.source_name or f"{r.source_system}/{r.source_instance}",
            r.record_id or "",
            r.status,
            "yes" if r.replayable else "no",
            r.error if len(r.error) < 120 else r.error[:117] + "…",
        )
    console.print(table)
    if total > len(rows):
        console.print(f"Showing the newest {len(rows):,} of {total:,} rejects.")


@app.command("show")
def rejects_show(reject_id: int) -> None:
    """One reject: where it came from, why it failed, and its payload."""
    with failing_on(CommandError):
        detail = get_reject(reject_id)
    info = detail.info
    console.print(f"[bold]Reject {info.id}[/bold] · {info.status}")
    origin = f"{info.source_system}/{info.source_instance}"
    console.print(escape(f"source: {info.source_name or '-'} ({origin})"))
    record = f"stream: {info.stream} · record: {info.record_id or '-'} · {info.size:,} bytes"
    console.print(escape(record))
    console.print(f"received: {info.received_at.isoformat()}")
    console.print(f"[red]reason:[/red] {escape(info.error)}")
    console.print(detail.preview, markup=False, highlight=False)


@app.command("replay")
def rejects_replay(ids: Annotated[list[int], typer.Argument(help="Reject ids")]) -> None:
    """Load the stored payloads again (an API's mapped with the current code and rules, a file
    row refused for want of reference data as it was mapped) and keep the rest quarantined."""
    with failing_on(CommandError):
        result = replay(ids, actor=ACTOR)
    console.print(f"Replayed: {counts(result)} (still failing stay quarantined).")


@app.command("discard")
def rejects_discard(
    ids: Annotated[list[int], typer.Argument(help="Reject ids")],
    reason: str = typer.Option(..., help="Why (goes to the audit log)"),
) -> None:
    """Mark rejects as discarded (kept for the record, never deleted)."""
    with failing_on(CommandError):
        count = discard(ids, reason, actor=ACTOR)
    console.print(f"Discarded {count} reject(s).")
