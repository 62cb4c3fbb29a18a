"""`channelperf users …`: users, roles and API tokens."""

from __future__ import annotations

import typer
from rich.markup import escape

from cli.common import ACTOR
from cli.common import PlainTable
from cli.common import console
from cli.common import failing_on
from db.errors import CommandError
from db.roles import ROLES
from db.users import add_user
from db.users import ensure_demo_users
from db.users import issue_api_token
from db.users import list_users
from db.users import revoke_api_token
from db.users import set_active
from db.users import set_password
from db.users import set_role

app = typer.Typer(name="users", help="Users, roles and API tokens.", no_args_is_help=True)


@app.command("add")
def users_add(
    username: str,
    role: str = typer.Option(..., help=f"One of {', '.join(ROLES)}"),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters"
    ),
) -> None:
    """Create a user."""
    with failing_on(CommandError):
        user = add_user(username, password, role, ACTOR)
    console.print(f"Added [bold]{escape(user.username)}[/bold] ({user.role}).")


@app.command("list")
def users_list() -> None:
    """List users with role, status and last sign-in."""
    table = PlainTable("username", "role", "status", "last sign-in")
    for user in list_users():
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "never"
        table.add_row(user.username, user.role, "active" if user.active else "disabled", last)
    console.print(table)


@app.command("set-role")
def users_set_role(username: str, role: str) -> None:
    """Change a user's role."""
    with failing_on(CommandError):
        user = set_role(username, role, ACTOR)
    console.print(f"{escape(user.username)} is now {user.role}.")


@app.command("disable")
def users_disable(username: str) -> None:
    """Stop a user from signing in (sessions and tokens stop working too)."""
    with failing_on(CommandError):
        set_active(username, False, ACTOR)
    console.print(f"{escape(username)} is disabled.")


@app.command("enable")
def users_enable(username: str) -> None:
    """Allow a disabled user to sign in again."""
    with failing_on(CommandError):
        set_active(username, True, ACTOR)
    console.print(f"{escape(username)} is enabled.")


@app.command("token")
def users_token(username: str) -> None:
    """Issue a new API token for the user (shown once; it carries the user's role)."""
    with failing_on(CommandError):
        token = issue_api_token(username, ACTOR)
    console.print(token)


@app.command("revoke-token")
def users_revoke_token(username: str) -> None:
    """Withdraw the user's API token (the API refuses it at once)."""
    with failing_on(CommandError):
        revoke_api_token(username, ACTOR)
    console.print(f"{escape(username)}'s API token is revoked.")


@app.command("set-password")
def users_set_password(
    username: str,
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="At least 8 characters"
    ),
) -> None:
    """Give a user a new password (their sessions end)."""
    with failing_on(CommandError):
        set_password(username, password, ACTOR)
    console.print(f"{escape(username)} has a new password and is signed out everywhere.")


@app.command("demo")
def users_demo() -> None:
    """Create one demo user per role (once) and print their sign-ins."""
    table = PlainTable("username", "password", "role", title="Demo sign-ins")
    for username, password, role in ensure_demo_users():
        table.add_row(username, password, role)
    console.print(table)
