"""A bad setting stops every command, ``serve`` included, with one line naming it and exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from db.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]


def _one_line(text: str, says: str) -> None:
    lines = text.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("configuration error: ") and says in lines[0]
    assert "Traceback" not in text


def test_serve_with_a_short_secret_key_says_so_in_one_line_and_exits_2():
    env = {**os.environ, "CHANNELPERF_SECRET_KEY": "short", "COLUMNS": "80"}
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "serve"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and not done.stdout
    _one_line(done.stderr, "CHANNELPERF_SECRET_KEY: must be at least 16 characters")


@pytest.mark.parametrize(
    ("command", "variable", "value", "says"),
    [
        (["db", "upgrade"], "CHANNELPERF_REPORTING_TZ", "Mars/Base", "unknown time zone"),
        (["metrics", "--metric", "revenue"], "CHANNELPERF_BASE_CURRENCY", "dollars", "ISO 4217"),
        (["users", "list"], "CHANNELPERF_FISCAL_YEAR_START_MONTH", "13", "FISCAL_YEAR_START"),
    ],
)
def test_every_command_checks_the_settings_first(monkeypatch, command, variable, value, says):
    monkeypatch.setenv(variable, value)
    get_settings.cache_clear()
    try:
        done = CliRunner(env={"COLUMNS": "80"}).invoke(app, command)
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert done.exit_code == 2
    _one_line(done.output, says)
