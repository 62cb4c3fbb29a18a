"""`channelperf audit …`: the append-only audit trail."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from cli.common import console
from cli.common import date_option
from cli.common import errors
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
            errors.print(f"[red]broken:[/red] {entry}: {problem.reason}")
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
    csv_file: str = typer.Option(None, "--csv", help="Write the entries to this CSV file"),
) -> None:
    """List audit entries, newest first."""
    rows = audit.find_entries(
        actor=actor,
        action=action,
        entity_type=entity,
        start=date_option("since", since),
        end=date_option("until", until),
        limit=limit,
    )
    if csv_file:
        with Path(csv_file).open("w", newline="") as handle:
            audit.write_csv(rows, handle)
        console.print(f"Wrote {len(rows)} entries to {csv_file}.")
        return
    table = Table("id", "at (UTC)", "actor", "action", "entity", "before", "after")
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
