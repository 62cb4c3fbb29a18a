"""The `channelperf` command: one line per command module, each imported only when one of its
commands runs, so `channelperf db upgrade` does not wait for Prophet, MLflow and LightGBM."""

from __future__ import annotations

import importlib

import click
import typer
from rich.markup import escape
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import InterfaceError
from sqlalchemy.exc import OperationalError
from typer.core import TyperGroup

from cli.common import errors
from cli.common import fail
from db.settings import ConfigurationError
from db.settings import get_settings

# Command (or command group) → the module of cli/ that defines it, in the order help lists them.
COMMANDS = {
    "db": "db",
    "users": "users",
    "demo-data": "demo",
    "ingest": "ingest",
    "mapping": "mapping",
    "rejects": "rejects",
    "rules": "channel_rules",
    "channels": "channels",
    "remap": "remap",
    "sources": "sources",
    "reference": "reference",
    "worker": "worker",
    "metrics": "metrics",
    "validate": "quality",
    "audit": "audit",
    "reports": "reports",
    "alerts": "alerts",
    "train": "training",
    "schedule": "training",
    "mlflow-ui": "training",
    "anomalies": "anomalies",
    "forecast": "forecast",
    "serve": "serve",
    "attribution": "attribution",
    "elasticity": "pricing",
    "budget": "budget",
}


def module_commands(module: str) -> dict[str, click.Command]:
    """The click commands a cli module defines: its group, or its top-level commands."""
    group = typer.main.get_group(importlib.import_module(f"cli.{module}").app)
    return {group.name: group} if group.name else dict(group.commands)


class LazyCommands(TyperGroup):
    """Lists every command from ``COMMANDS`` and imports a module only to run or describe one."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = COMMANDS.get(cmd_name)
        return module_commands(module).get(cmd_name) if module else None

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (OperationalError, InterfaceError) as error:
            # No statement: connecting failed (no server, no such database, refused sign-in).
            if error.statement is not None:
                raise
            raise fail(f"cannot connect to the database {_database()}: {_reason(error)}") from None


def _database() -> str:
    return make_url(get_settings().database_url).render_as_string(hide_password=True)


def _reason(error: DBAPIError) -> str:
    """The driver's first line, e.g. 'FATAL: database "x" does not exist'."""
    return " ".join(str(error.orig).splitlines()[0].split())


app = typer.Typer(
    cls=LazyCommands,
    help="Channel Performance: channel KPIs, targets, alerts and forecasts.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def check_configuration() -> None:
    """Every command reads the environment's settings first: a bad one is one line, exit 2."""
    try:
        get_settings()
    except ConfigurationError as error:
        errors.print(f"[red]{escape(str(error))}[/red]", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


if __name__ == "__main__":
    app()
