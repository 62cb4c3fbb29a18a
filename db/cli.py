"""`channelperf db …` and `channelperf users …`: schema migrations, rollups, user administration."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from db import migrate
from db.engine import get_engine
from db.errors import CommandError
from db.roles import ROLES
from db.rollups import rebuild_all
from db.users import (
    add_user,
    ensure_demo_users,
    issue_api_token,
    list_users,
    set_active,
    set_role,
)

db_app = typer.Typer(help="Database schema and rollups.", no_args_is_help=True)
users_app = typer.Typer(help="Users, roles and API tokens.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    """Print the reason and return the exit (code 2) for the caller to raise."""
    errors.print(f"[red]error:[/red] {message}")
    return typer.Exit(2)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("heads", help="Target revision")) -> None:
    """Apply the schema migrations."""
    migrate.upgrade(revision=revision)
    console.print(f"[green]Database at revision {revision}.[/green]")


@db_app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="Target revision, e.g. base")) -> None:
    """Revert the schema to an earlier revision."""
    migrate.downgrade(revision=revision)
    console.print(f"Database at revision {revision}.")


@db_app.command("rebuild-rollups")
def db_rebuild_rollups() -> None:
    """Recompute every daily rollup from the fact tables (after a reporting time zone change,
    or products moved to other categories)."""
    with get_engine().begin() as conn:
        days = rebuild_all(conn)
    console.print(f"Rebuilt rollups for {days} days.")


@users_app.command("add")
def users_add(
    username: str,
    role: str = typer.Option(..., help=f"One of {', '.join(ROLES)}"),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters"
    ),
) -> None:
    """Create a user."""
    try:
        user = add_user(username, password, role)
    except CommandError as exc:
        raise fail(str(exc)) from None
    console.print(f"Added [bold]{user.username}[/bold] ({user.role}).")


@users_app.command("list")
def users_list() -> None:
    """List users with role, status and last sign-in."""
    table = Table("username", "role", "status", "last sign-in")
    for user in list_users():
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "never"
        table.add_row(user.username, user.role, "active" if user.active else "disabled", last)
    console.print(table)


@users_app.command("set-role")
def users_set_role(username: str, role: str) -> None:
    """Change a user's role."""
    try:
        user = set_role(username, role)
    except CommandError as exc:
        raise fail(str(exc)) from None
    console.print(f"{user.username} is now {user.role}.")


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Stop a user from signing in (sessions and tokens stop working too)."""
    try:
        set_active(username, False)
    except CommandError as exc:
        raise fail(str(exc)) from None
    console.print(f"{username} is disabled.")


@users_app.command("enable")
def users_enable(username: str) -> None:
    """Allow a disabled user to sign in again."""
    try:
        set_active(username, True)
    except CommandError as exc:
        raise fail(str(exc)) from None
    console.print(f"{username} is enabled.")


@users_app.command("token")
def users_token(username: str) -> None:
    """Issue a new API token for the user (shown once; it carries the user's role)."""
    try:
        token = issue_api_token(username)
    except CommandError as exc:
        raise fail(str(exc)) from None
    console.print(token)


@users_app.command("demo")
def users_demo() -> None:
    """Create one demo user per role (once) and print their sign-ins."""
    table = Table("username", "password", "role", title="Demo sign-ins")
    for username, password, role in ensure_demo_users():
        table.add_row(username, password, role)
    console.print(table)
