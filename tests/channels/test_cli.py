"""``channelperf channels …``: each subcommand changes the taxonomy as it says, and bad input is
one clear line with exit code 2 and nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from analytics.taxonomy import list_channels
from cli.main import app
from db.engine import get_engine
from db.schema import AuditLog

runner = CliRunner()
pytestmark = pytest.mark.postgres


def run(*args: str):
    return runner.invoke(app, ["channels", *args])


def assert_refused(result, message: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr


def channels() -> dict[str, tuple]:
    return {c.code: (c.kind, c.name, c.category, c.retired) for c in list_channels()}


def audit_count(url: str) -> int:
    with get_engine(url).connect() as conn:
        return len(conn.execute(select(AuditLog.id)).all())


def test_add_category_then_a_touchpoint_in_it(pg_url):
    done = run("add-category", "travel_agents", "--name", "Travel agents")
    assert done.exit_code == 0, done.output
    assert "travel_agents" in done.stdout
    done = run(
        "add",
        "agent_portal",
        "--name",
        "Agent portal",
        "--category",
        "travel_agents",
        "--conversion-basis",
        "opportunities",
    )
    assert done.exit_code == 0, done.output
    found = {c.code: c for c in list_channels()}
    assert found["travel_agents"].kind == "category"
    assert (found["agent_portal"].category, found["agent_portal"].conversion_basis) == (
        "travel_agents",
        "opportunities",
    )
    listed = run("list")
    assert listed.exit_code == 0 and "agent_portal" in listed.stdout


def test_rename_move_retire_restore_and_delete(pg_url):
    assert run("add-category", "agents", "--name", "Agents").exit_code == 0
    assert run("add", "agent_desk", "--name", "Desk", "--category", "agents").exit_code == 0
    assert run("rename", "agent_desk", "--name", "Agent desk").exit_code == 0
    moved = run("move", "agent_desk", "--category", "ecommerce")
    assert moved.exit_code == 0, moved.output
    assert "Agent desk moved from agents to ecommerce" in " ".join(moved.stdout.split())
    assert channels()["agent_desk"] == ("touchpoint", "Agent desk", "ecommerce", False)
    assert run("retire", "agent_desk").exit_code == 0
    assert "agent_desk" not in run("list").stdout
    assert "retired" in run("list", "--all").stdout
    assert run("restore", "agent_desk").exit_code == 0
    assert channels()["agent_desk"][3] is False
    assert run("rename", "unassigned", "--name", "Other", "--kind", "category").exit_code == 0
    assert channels()["unassigned"][1] == "Unassigned"  # the touchpoint kept its name
    assert run("delete", "agent_desk").exit_code == 0
    assert "agent_desk" not in channels()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # Bad input
        (("add-category", "Travel Agents", "--name", "x"), "must be a lowercase slug"),
        (("add-category", "ecommerce", "--name", "Shop"), "category with code 'ecommerce' already"),
        (("add-category", "web", "--name", "Shop"), "touchpoint with code 'web' already exists"),
        (("add-category", "total", "--name", "Shop"), "is reserved"),
        (
            ("add-category", "shops", "--name", "e-commerce"),
            "'ecommerce' is already named 'E-commerce'",
        ),
        (("add", "kiosk", "--name", "Kiosk", "--category", "nope"), "no category with code 'nope'"),
        (
            ("add", "kiosk", "--name", "K", "--category", "ecommerce", "--conversion-basis", "?"),
            "conversion basis must be one of sessions, footfall, opportunities",
        ),
        (("add", "kiosk", "--name", " ", "--category", "ecommerce"), "name must have"),
        # Changes the taxonomy refuses
        (("rename", "unassigned", "--name", "Other"), "both a category and a touchpoint"),
        (("rename", "web", "--name", "Mobile App"), "'mobile_app' is already named 'Mobile App'"),
        (("rename", "nope", "--name", "Nope"), "no channel with code 'nope'"),
        (("move", "web", "--category", "nope"), "no category with code 'nope'"),
        (("move", "web", "--category", "ecommerce"), "'web' is already in 'ecommerce'"),
        (("retire", "web"), "active channel rule(s) 1 still send orders to 'web'"),
        (("retire", "unassigned", "--kind", "touchpoint"), "it cannot be retired"),
        (("restore", "web"), "'web' is not retired"),
        (("delete", "web"), "'web' is in use (1 channel rules)"),
        (("delete", "ecommerce", "--kind", "shop"), "kind must be one of category, touchpoint"),
    ],
)
def test_bad_input_and_refused_changes_are_one_line_exit_2_and_write_nothing(pg_url, args, message):
    before, entries = channels(), audit_count(pg_url)
    assert_refused(run(*args), message)
    assert channels() == before and audit_count(pg_url) == entries
