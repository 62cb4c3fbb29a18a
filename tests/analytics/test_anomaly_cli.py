"""``channelperf anomalies``: the typer app in-process, and once as a program."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from analytics.anomaly.band import expected_band
from cli.main import app

REPO = Path(__file__).resolve().parents[2]
RAW_DATA = Path(__file__).parent / "data" / "twitter_raw_data.csv.gz"
runner = CliRunner()


@pytest.fixture(scope="module")
def raw_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "raw_data.csv"
    path.write_bytes(gzip.decompress(RAW_DATA.read_bytes()))
    return path


@pytest.fixture(scope="module")
def daily() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    days = pd.date_range("2024-01-01", periods=120, freq="D")
    sales = 500 + np.array([20, 10, 0, 10, 30, -30, -40])[days.day_of_week] + rng.normal(0, 8, 120)
    sales[90] += 120
    sales[100] -= 100
    return pd.DataFrame({"day": days.strftime("%Y-%m-%d"), "net_sales": sales.round(2)})


# The twitter/AnomalyDetection raw data as its own S-H-ESD tests read it.
TWITTER_SHESD = [
    "--time-col",
    "timestamp",
    "--value-col",
    "count",
    "--method",
    "shesd",
    "--max-anoms",
    "0.02",
]


def invoke(*args: str):
    return runner.invoke(app, ["anomalies", *args])


def test_shesd_csv_reproduces_the_reference_count(raw_csv: Path) -> None:
    result = invoke("--data", str(raw_csv), *TWITTER_SHESD, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    out = pd.read_csv(io.StringIO(result.stdout), parse_dates=["timestamp"])
    assert list(out.columns) == ["timestamp", "observed", "expected", "lower", "upper", "direction"]
    assert len(out) == 131  # twitter/AnomalyDetection tests/testthat/test-ts.R
    assert out["lower"].isna().all() and out["upper"].isna().all()
    assert "131 anomalies" in result.stderr


def test_direction_filter(raw_csv: Path) -> None:
    result = invoke(
        "--data", str(raw_csv), *TWITTER_SHESD, "--direction", "pos", "--format", "json"
    )
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)
    assert records and {r["direction"] for r in records} == {"pos"}


def test_band_json_matches_the_library(tmp_path: Path, daily: pd.DataFrame) -> None:
    path = tmp_path / "sales.csv"
    daily.to_csv(path, index=False)
    result = invoke(
        "--data",
        str(path),
        "--time-col",
        "day",
        "--value-col",
        "net_sales",
        "--method",
        "band",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    records = json.loads(result.stdout)

    series = pd.Series(daily["net_sales"].to_numpy(), index=pd.to_datetime(daily["day"]))
    band = expected_band(series)
    flagged = band[band["is_anomaly"]]
    assert [pd.Timestamp(r["timestamp"]) for r in records] == list(flagged.index)
    assert pd.Timestamp("2024-03-31") in flagged.index  # day 90, +15 sd
    assert pd.Timestamp("2024-04-10") in flagged.index  # day 100, -12 sd
    for record, (_, row) in zip(records, flagged.iterrows(), strict=True):
        assert record["observed"] == pytest.approx(row["observed"])
        assert record["lower"] == pytest.approx(row["lower"])
        assert record["upper"] == pytest.approx(row["upper"])
        assert record["direction"] == row["direction"]


def test_json_lines_input(tmp_path: Path, daily: pd.DataFrame) -> None:
    path = tmp_path / "sales.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in daily.to_dict("records")))
    csv_path = tmp_path / "sales.csv"
    daily.to_csv(csv_path, index=False)
    common = ["--time-col", "day", "--value-col", "net_sales", "--method", "band"]
    from_jsonl = invoke("--data", str(path), *common)
    from_csv = invoke("--data", str(csv_path), *common)
    assert from_jsonl.exit_code == 0, from_jsonl.stderr
    assert from_jsonl.stdout == from_csv.stdout
    assert from_jsonl.stdout.count("\n") >= 3  # header and the two injected anomalies


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, ["--time-col", "day", "--value-col", "v"], "no such file"),
        ("day,v\n2024-01-01,1\n", ["--time-col", "date", "--value-col", "v"], "no column 'date'"),
        (
            "day,v\n2024-01-01,1\nyesterday,2\n",
            ["--time-col", "day", "--value-col", "v"],
            "not a date",
        ),
        (
            "day,v\n2024-01-01,1\n2024-01-02,lots\n",
            ["--time-col", "day", "--value-col", "v"],
            "not a number",
        ),
        (
            "day,v\n2024-01-01,1\n2024-01-02,2\n",
            ["--time-col", "day", "--value-col", "v"],
            "needs more than 28 points",
        ),
    ],
)
def test_bad_input_exits_2_with_the_reason(
    tmp_path: Path, content: str | None, args: list[str], message: str
) -> None:
    path = tmp_path / "input.csv"
    if content is not None:
        path.write_text(content)
    result = invoke("--data", str(path), "--method", "band", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_too_few_points_for_shesd(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("day,v\n" + "".join(f"2024-01-{d:02d},{d}\n" for d in range(1, 11)))
    result = invoke(
        "--data", str(path), "--time-col", "day", "--value-col", "v", "--method", "shesd"
    )
    assert result.exit_code == 2
    assert "two periods" in result.stderr


def run_program(*args: str) -> subprocess.CompletedProcess:
    """``channelperf anomalies`` in a process of its own."""
    return subprocess.run(
        [sys.executable, "-c", "from cli.main import app; app()", "anomalies", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
        check=False,
    )


def test_runs_as_a_program(raw_csv: Path) -> None:
    completed = run_program("--data", str(raw_csv), *TWITTER_SHESD, "--format", "json")
    assert completed.returncode == 0, completed.stderr
    assert len(json.loads(completed.stdout)) == 131

    absent = str(raw_csv.with_name("absent.csv"))
    missing = run_program(
        "--data", absent, "--time-col", "t", "--value-col", "v", "--method", "band"
    )
    assert missing.returncode == 2
    assert "no such file" in missing.stderr
