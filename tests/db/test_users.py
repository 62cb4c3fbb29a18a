"""User commands through the CLI: add, list, set-role, disable, tokens and passwords; each
audited (never with a secret), the chain intact."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select
from sqlalchemy import text
from typer.testing import CliRunner

from cli.main import app
from db import audit
from db.engine import get_engine
from db.schema import AuditLog
from db.schema import Base
from db.users import authenticate
from db.users import list_users
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


def stored_text(url: str) -> str:
    """Every row of every table, as text."""
    engine = get_engine(url)
    quote = engine.dialect.identifier_preparer.quote
    with engine.connect() as conn:
        return "\n".join(
            row
            for table in Base.metadata.sorted_tables
            for row in conn.execute(text(f"SELECT r::text FROM {quote(table.name)} r")).scalars()
        )


@pytest.mark.postgres
def test_tokens_and_passwords_change_audited_and_stored_nowhere(pg_url, caplog):
    caplog.set_level(logging.DEBUG)
    run("users", "add", "erin", "--role", "executive", input="first-pass\nfirst-pass\n")
    first = run("users", "token", "erin").output.strip()
    second = run("users", "token", "erin").output.strip()
    assert token_owner(first) is None  # a new token replaces the one before
    assert token_owner(second).username == "erin"
    assert [u.has_api_token for u in list_users()] == [True]

    assert run("users", "revoke-token", "erin").exit_code == 0
    assert token_owner(second) is None and [u.has_api_token for u in list_users()] == [False]
    again = run("users", "revoke-token", "erin")
    assert again.exit_code == 2 and "erin has no API token" in again.output

    short = run("users", "set-password", "erin", input="short\nshort\n")
    assert short.exit_code == 2 and "at least 8 characters" in short.output
    reset = run("users", "set-password", "erin", input="second-pass\nsecond-pass\n")
    assert reset.exit_code == 0, reset.output
    assert authenticate("erin", "first-pass") is None
    assert authenticate("erin", "second-pass").username == "erin"

    with get_engine(pg_url).connect() as conn:
        columns = (AuditLog.actor, AuditLog.action, AuditLog.entity_id, AuditLog.before)
        entries = conn.execute(select(*columns, AuditLog.after).order_by(AuditLog.id)).all()
        assert audit.verify(conn) == []
    assert [tuple(e) for e in entries] == [
        ("cli", "user.add", "erin", None, {"role": "executive"}),
        ("cli", "user.issue_token", "erin", None, None),
        ("cli", "user.issue_token", "erin", None, None),
        ("cli", "user.revoke_token", "erin", None, None),
        ("cli", "user.set_password", "erin", None, None),
    ]
    stored = stored_text(pg_url)
    for secret in (first, second, "first-pass", "second-pass"):
        assert secret not in stored and secret not in caplog.text
