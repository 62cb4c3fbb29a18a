"""``channelperf attribution | elasticity | budget``: output and one clear line with exit code 2
on bad input."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from analytics.budget.extrapolation import extrapolations
from analytics.budget.plans import propose_budget
from cli.main import app
from db.settings import get_settings

runner = CliRunner()
PATHS = "path;total_conversions;total_conversion_value;total_null\nA > B;3;30;2\nB;1;5;4\nA;0;0;3\n"


def run(*args: str):
    return runner.invoke(app, list(args))


def assert_refused(result, message: str) -> None:
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr


@pytest.fixture
def paths_file(tmp_path):
    path = tmp_path / "paths.csv"
    path.write_text(PATHS)
    return path


def test_attribution_markov_csv(paths_file):
    result = run("attribution", "--paths", str(paths_file), "--model", "markov", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    out = pd.read_csv(io.StringIO(result.stdout)).set_index("channel")
    assert list(out.columns) == ["conversions", "value", "removal_effect"]
    # Every converting path ends in B: without B nothing converts.
    assert out["conversions"].sum() == pytest.approx(4)
    assert out.at["B", "removal_effect"] == pytest.approx(1.0)


@pytest.mark.parametrize("model", ["shapley", "first", "last", "linear", "time_decay", "position"])
def test_attribution_every_model_as_json(paths_file, model):
    result = run("attribution", "--paths", str(paths_file), "--model", model, "--format", "json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["channel"] for r in rows] == ["A", "B"]
    assert sum(r["conversions"] for r in rows) == pytest.approx(4)
    assert sum(r["value"] for r in rows) == pytest.approx(35)


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("", (), "is empty"),
        ("path,total_conversions\nA > ,1\n", (), "empty channel name"),
        ("route,conversions\nA,1\n", (), "no column 'path'"),
        (PATHS, ("--order", "9"), "Markov order must be between 1 and 4"),
    ],
)
def test_attribution_bad_input(tmp_path, text, args, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    result = run("attribution", "--paths", str(path), "--model", "markov", "--format", "csv", *args)
    assert_refused(result, message)


def test_attribution_missing_file(tmp_path):
    result = run(
        "attribution", "--paths", str(tmp_path / "x.csv"), "--model", "last", "--format", "csv"
    )
    assert_refused(result, "no such file")


@pytest.fixture
def demand_file(tmp_path):
    rng = np.random.default_rng(1)
    n = 300
    cost = rng.normal(0, 0.2, n)
    shock = rng.normal(0, 0.3, n)
    log_p = 3 + 0.8 * cost + 0.5 * shock
    frame = pd.DataFrame(
        {
            "channel": np.where(np.arange(n) % 2, "web", "store"),
            "price": np.exp(log_p),
            "units": np.exp(6 - 1.5 * log_p + shock),
            "cost": cost,
            "weekday": np.arange(n) % 7,
        }
    )
    path = tmp_path / "demand.csv"
    frame.to_csv(path, index=False)
    return path


def test_elasticity_2sls_per_group(demand_file):
    result = run(
        "elasticity", "--data", str(demand_file), "--price", "price", "--quantity", "units",
        "--instrument", "cost", "--control", "weekday", "--group", "channel", "--format", "csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    out = pd.read_csv(io.StringIO(result.stdout))
    assert list(out.columns[:8]) == [
        "channel", "elasticity", "std_error", "ci_low", "ci_high", "method", "n", "first_stage_f",
    ]  # fmt: skip
    assert set(out["method"]) == {"2sls"} and out["n"].tolist() == [150, 150]
    assert ((out["ci_low"] <= -1.5) & (out["ci_high"] >= -1.5)).all()


def test_elasticity_ols_has_no_first_stage_column(demand_file):
    result = run(
        "elasticity", "--data", str(demand_file), "--price", "price", "--quantity", "units",
        "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (row,) = json.loads(result.stdout)
    assert row["method"] == "ols" and "first_stage_f" not in row


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--price", "cost_price"), "no column 'cost_price'"),
        (("--price", "price", "--instrument", "weekday", "--control", "weekday"), "singular"),
        (("--price", "cost"), "must hold positive numbers"),
    ],
)
def test_elasticity_bad_input(demand_file, args, message):
    result = run(
        "elasticity", "--data", str(demand_file), "--quantity", "units", "--format", "csv", *args
    )
    assert_refused(result, message)


def test_elasticity_too_few_rows(tmp_path):
    path = tmp_path / "few.csv"
    path.write_text("price,units\n1,2\n2,1\n3,1\n")
    result = run(
        "elasticity",
        "--data",
        str(path),
        "--price",
        "price",
        "--quantity",
        "units",
        "--format",
        "csv",
    )
    assert_refused(result, "too few observations: 3")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--total", "1000", "--min", "web"), "--min 'web' must be CHANNEL=AMOUNT"),
        (("--total", "1000", "--max", "web=lots"), "--max 'web=lots' must be CHANNEL=AMOUNT"),
    ],
)
def test_budget_bad_bounds_are_refused_before_reading_data(args, message):
    result = run("budget", "--format", "csv", *args)
    assert_refused(result, message)


def test_budget_warns_of_each_channel_outside_its_spend_history(demo):
    """The warnings the Budget page shows (one analytics function), on standard error."""
    result = run("budget", "--total", "500000", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    proposal = propose_budget(500_000.0)
    currency = get_settings().base_currency
    expected = extrapolations(proposal.allocation, proposal.spend_ranges, proposal.names, currency)
    assert expected
    said = " ".join(result.stderr.split())
    for warning in expected:
        assert f"warning: {warning}" in said
    assert said.count("warning:") == len(expected)


def test_budget_on_the_demo(demo):
    result = run("budget", "--total", "50000", "--objective", "margin", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    out = pd.read_csv(io.StringIO(result.stdout))
    assert out["proposed"].sum() == pytest.approx(50000, abs=0.05)
    assert "uplift" in result.stderr
    low = run("budget", "--total", "100", "--min", f"{out['channel'][0]}=500", "--format", "csv")
    assert_refused(low, "total 100.00 is below the sum of the minimums 500.00")
