"""`channelperf audit …`: the append-only audit trail."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from cli.common import PlainTable
from cli.common import console
from cli.common import date_option
from cli.common import errors
from cli.common import output_file
from cli.common import write_output
from db import audit

app = typer.Typer(name="audit", help="The append-only audit trail.", no_args_is_help=True)


@app.command("verify")
def audit_verify(
    anchor: str = typer.Option(None, help="A hash printed by an earlier run, which must remain"),
) -> None:
    """Check the hash chain: exit 0 when intact, 1 listing each broken entry."""
    problems, newest = audit.chain_state(anchor)
    if problems:
        for problem in problems:
            entry = f"entry {problem.entry_id}" if problem.entry_id else "chain end"
            errors.print(f"[red]broken:[/red] {entry}: {escape(problem.reason)}")
        errors.print(f"{len(problems)} problem(s) in the audit trail.")
        raise typer.Exit(1)
    if newest is None:
        console.print("The audit trail is empty.")
        return
    console.print(f"Audit trail intact up to entry {newest[0]}; head hash {newest[1]}")


@app.command("list")
def audit_list(
    actor: str = typer.Option(None, help="Only this user"),
    action: str = typer.Option(None, help="Only this action, e.g. user.set_role"),
    entity: str = typer.Option(None, help="Only this entity type, e.g. user"),
    since: str = typer.Option(None, help="First day (YYYY-MM-DD)"),
    until: str = typer.Option(None, help="Last day (YYYY-MM-DD)"),
    limit: int = typer.Option(100, min=1, help="At most this many entries, newest first"),
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Write the entries to this CSV file")
    ] = None,
) -> None:
    """List audit entries, newest first."""
    if csv_file:
        output_file("--csv", csv_file)
    rows = audit.find_entries(
        actor=actor,
        action=action,
        entity_type=entity,
        start=date_option("since", since),
        end=date_option("until", until),
        limit=limit,
    )
    if csv_file:
        text = io.StringIO(newline="")
        audit.write_csv(rows, text)
        write_output(csv_file, text.getvalue().encode())
        console.print(f"Wrote {len(rows)} entries to {escape(str(csv_file))}.")
        return
    table = PlainTable("id", "at (UTC)", "actor", "action", "entity", "before", "after")
    for row in rows:
        table.add_row(
            str(row["id"]),
            f"{row['at']:%Y-%m-%d %H:%M:%S}",
            row["actor"],
            row["action"],
            f"{row['entity_type']} {row['entity_id']}".strip(),
            audit.value_text(row["before"]),
            audit.value_text(row["after"]),
        )
    console.print(table)
