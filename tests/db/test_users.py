"""User commands through the CLI: add, list, set-role, disable; each audited, the chain intact."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cli.main import app
from db import audit
from db.engine import get_engine
from db.schema import AuditLog
from db.users import authenticate
from db.users import token_owner

runner = CliRunner()


def run(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


@pytest.mark.postgres
def test_users_lifecycle_through_the_cli(pg_url):
    added = run("users", "add", "Alice", "--role", "planner", input="s3cret-pass\ns3cret-pass\n")
    assert added.exit_code == 0, added.output
    assert "alice" in run("users", "list").output
    assert authenticate("alice", "s3cret-pass").role == "planner"
    assert authenticate("alice", "wrong-pass") is None

    assert run("users", "set-role", "alice", "admin").exit_code == 0
    assert authenticate("alice", "s3cret-pass").role == "admin"
    token = run("users", "token", "alice").output.strip()
    assert token_owner(token).username == "alice" and token_owner(token).active

    refused = run("users", "disable", "alice")
    assert refused.exit_code == 2 and "last active admin" in refused.output
    run("users", "add", "bob", "--role", "admin", input="another-pass\nanother-pass\n")
    assert run("users", "disable", "alice").exit_code == 0
    assert authenticate("alice", "s3cret-pass") is None
    assert token_owner(token).active is False

    with get_engine(pg_url).connect() as conn:
        actions = conn.execute(select(AuditLog.action).order_by(AuditLog.id)).scalars().all()
        assert audit.verify(conn) == []
    assert actions == [
        "user.add",
        "user.set_role",
        "user.issue_token",
        "user.add",
        "user.disable",
    ]


@pytest.mark.postgres
@pytest.mark.parametrize(
    "args, message",
    [
        (("users", "add", "x", "--role", "planner"), "username must be"),
        (("users", "add", "carol", "--role", "boss"), "unknown role"),
        (("users", "set-role", "nobody", "planner"), "no user named"),
    ],
)
def test_bad_input_is_refused_with_a_reason(pg_url, args, message):
    result = run(*args, input="long-enough-pw\nlong-enough-pw\n")
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.postgres
def test_short_passwords_are_refused(pg_url):
    result = run("users", "add", "dave", "--role", "executive", input="short\nshort\n")
    assert result.exit_code == 2 and "at least 8 characters" in result.output
