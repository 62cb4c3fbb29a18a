"""`channelperf db …`: schema migrations and rollups."""

from __future__ import annotations

import typer
from alembic.util import CommandError
from rich.markup import escape

from cli.common import console
from cli.common import failing_on
from db import migrate
from db.engine import get_engine
from db.rollups import rebuild_all

app = typer.Typer(name="db", help="Database schema and rollups.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("heads", help="Target revision")) -> None:
    """Apply the schema migrations."""
    with failing_on(CommandError):
        migrate.upgrade(revision=revision)
    console.print(f"[green]Database at revision {escape(revision)}.[/green]")


@app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="Target revision, e.g. base")) -> None:
    """Revert the schema to an earlier revision."""
    with failing_on(CommandError):
        migrate.downgrade(revision=revision)
    console.print(f"Database at revision {escape(revision)}.")


@app.command("rebuild-rollups")
def db_rebuild_rollups() -> None:
    """Recompute every daily rollup from the fact tables (after a reporting time zone change,
    or products moved to other categories)."""
    with get_engine().begin() as conn:
        days = rebuild_all(conn)
    console.print(f"Rebuilt rollups for {days} days.")
