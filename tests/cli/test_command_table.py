"""`channelperf` lists every command of every cli module and runs one without the others."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cli
from cli.main import COMMANDS
from cli.main import module_commands

NOT_COMMANDS = {"__init__", "main", "common"}
HEAVY = ("prophet", "mlflow", "lightgbm", "statsmodels", "dash")


def test_the_table_names_every_command_each_module_defines_and_no_other():
    modules = sorted(
        p.stem for p in Path(cli.__file__).parent.glob("*.py") if p.stem not in NOT_COMMANDS
    )
    defined = {name: module for module in modules for name in module_commands(module)}
    assert defined == COMMANDS
    assert sorted(set(COMMANDS.values())) == modules


def test_a_command_imports_only_its_own_module():
    probe = (
        "import sys\n"
        "from cli.main import app\n"
        "try:\n"
        "    app(['db', '--help'])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0, exit.code\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert "Database schema and rollups" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"
