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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add-category", "Travel Agents", "--name", "x"), "must be a lowercase slug"),
        (("add-category", "ecommerce", "--name", "Shop"), "category with code 'ecommerce' already"),
        (("add-category", "web", "--name", "Shop"), "touchpoint with code 'web' already exists"),
        (("add-category", "total", "--name", "Shop"), "is reserved"),
        (("add-category", "shops", "--name", "e-commerce"), "already named 'e-commerce'"),
        (("add", "kiosk", "--name", "Kiosk", "--category", "nope"), "no category with code 'nope'"),
        (
            ("add", "kiosk", "--name", "K", "--category", "ecommerce", "--conversion-basis", "?"),
            "conversion basis must be one of sessions, footfall, opportunities",
        ),
        (("add", "kiosk", "--name", " ", "--category", "ecommerce"), "name must have"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(pg_url, args, message):
    before, entries = channels(), audit_count(pg_url)
    assert_refused(run(*args), message)
    assert channels() == before and audit_count(pg_url) == entries
