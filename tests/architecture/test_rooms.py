"""ARCHITECTURE.md's claims, checked on the tree: module size, what pages may do, the one-way
doors between packages, and that each worked example still applies and works as it says."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("analytics", "cli", "dashapp", "db", "forecasting", "ingestion")
EXAMPLES = re.findall(r"```diff\n(.*?)```", (ROOT / "ARCHITECTURE.md").read_text(), re.S)


def modules(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py"))


def imported(path: Path) -> set[str]:
    """The top-level packages a module imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_module_is_over_400_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in modules(*PACKAGES, "tests", "bench")
        if (n := len(p.read_text().splitlines())) > 400
    }
    assert long == {}


def test_pages_neither_query_nor_fit():
    for page in modules("dashapp/pages"):
        assert "sqlalchemy" not in imported(page), page.name
        assert ".fit(" not in page.read_text(), page.name


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("db", {"analytics", "forecasting", "ingestion", "dashapp", "cli", "dash", "typer"}),
        ("analytics", {"dashapp", "cli", "dash", "typer"}),
        ("forecasting", {"dashapp", "cli", "dash", "typer"}),
        ("ingestion", {"dashapp", "cli", "dash", "typer"}),
        ("dashapp", {"cli", "typer"}),
    ],
)
def test_imports_go_one_way(package, forbidden):
    crossing = {
        str(p.relative_to(ROOT)): sorted(imported(p) & forbidden)
        for p in modules(package)
        if imported(p) & forbidden
    }
    assert crossing == {}


def test_the_architecture_note_has_its_four_worked_examples():
    touched = [set(re.findall(r"^\+\+\+ b/(\S+)", diff, re.M)) for diff in EXAMPLES]
    assert touched == [
        {"analytics/metrics.py", "tests/analytics/test_metrics.py"},
        {"analytics/views/refunds.py", "dashapp/pages/refunds.py"},
        {"analytics/alerts/kinds/__init__.py", "analytics/alerts/kinds/no_activity.py"},
        {"ingestion/connectors/registry.py", "ingestion/connectors/woocommerce.py"},
    ]


# What each example adds, seen from outside once its diff is applied to a copy of the tree.
EXAMPLE_CHECKS = [
    "from analytics.metrics import METRICS; assert METRICS['refund_rate'].unit == 'percent'",
    "import analytics.views.refunds as v; assert callable(v.build_refunds)",
    "from analytics.alerts.kinds import RULE_KINDS; assert 'no_activity' in RULE_KINDS",
    "from ingestion.connectors.registry import KINDS, ORDER_MAPPERS;"
    " assert 'woocommerce' in KINDS and 'woocommerce' in ORDER_MAPPERS",
]


@pytest.mark.parametrize("index", range(len(EXAMPLE_CHECKS)))
def test_a_worked_example_applies_and_does_what_it_says(index, tmp_path):
    tree = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        tree,
        ignore=shutil.ignore_patterns(".*", "mlruns", "artifacts", "__pycache__", "bench"),
    )
    diff = tmp_path / "example.diff"
    diff.write_text(EXAMPLES[index])
    subprocess.run(["git", "apply", str(diff)], cwd=tree, check=True)
    added = re.findall(r"^\+\+\+ b/(\S+)", EXAMPLES[index], re.M)
    ruff = Path(sys.executable).with_name("ruff")
    lint = subprocess.run([ruff, "check", *added], cwd=tree, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
    check = subprocess.run(
        [sys.executable, "-c", EXAMPLE_CHECKS[index]], cwd=tree, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
