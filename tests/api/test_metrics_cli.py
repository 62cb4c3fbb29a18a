"""``channelperf metrics`` and ``metric_table`` on the shared demo data (UTC), against pandas."""

from __future__ import annotations

import datetime as dt
import io
import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from analytics.metric_table import metric_table
from analytics.periods import Period
from analytics.rollup import Filters
from cli.main import app
from tests import reference
from tests.api.test_api import assert_agrees

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def facts(demo_db):
    return reference.daily_facts(demo_db, "UTC")


def run(*args: str):
    return CliRunner().invoke(app, ["metrics", *args])


@pytest.mark.parametrize(
    "args, compare, filters",
    [
        (
            [
                "--metric",
                "revenue",
                "--by",
                "channel",
                "--start",
                "2025-04-01",
                "--end",
                "2025-06-30",
            ],
            ["prior", "yoy"],
            {},
        ),
        (
            [
                "--metric",
                "aov",
                "--by",
                "week",
                "--start",
                "2024-02-22",
                "--end",
                "2024-03-06",
                "--channel",
                "ecommerce",
            ],
            ["prior", "yoy"],
            {"channel": ["ecommerce"]},
        ),
        (
            [
                "--metric",
                "conversion_rate",
                "--by",
                "touchpoint",
                "--grain",
                "month",
                "--start",
                "2025-12-15",
                "--end",
                "2026-02-28",
            ],
            ["yoy"],
            {},
        ),
    ],
)
def test_cli_json_agrees_with_pandas(demo, facts, args, compare, filters):
    flags = [f for name in compare for f in ("--compare", name)]
    result = run(*args, *flags)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    options = dict(zip(args[::2], args[1::2], strict=True))
    expected = reference.expected_rows(
        facts,
        options["--metric"],
        options["--by"],
        dt.date.fromisoformat(options["--start"]),
        dt.date.fromisoformat(options["--end"]),
        compare,
        filters,
        options.get("--grain"),
    )
    assert assert_agrees(payload, expected, compare) > 0


def test_cli_csv_is_the_table(demo):
    args = ["--metric", "orders", "--by", "month", "--start", "2025-01-01", "--end", "2025-03-31"]
    result = run(*args, "--compare", "prior", "--format", "csv")
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout))
    table = metric_table(
        "orders", "month", Period(dt.date(2025, 1, 1), dt.date(2025, 3, 31)), ("prior",)
    )
    assert list(frame.columns) == list(table.columns)
    assert frame["value"].tolist() == table["value"].tolist()
    assert frame["bucket"].tolist() == ["2025-01", "2025-02", "2025-03"]


@pytest.mark.parametrize(
    "change, parameter",
    [
        (["--metric", "profit"], "metric"),
        (["--end", "2024-01-01"], "end"),
        (["--start", "2019-01-01"], "end"),
        (["--channel", "x'; drop table sales_order; --"], "channel"),
        (["--compare", "lastweek"], "compare"),
    ],
)
def test_cli_bad_input_exits_2_naming_the_parameter(demo, change, parameter):
    base = {
        "--metric": "revenue",
        "--by": "channel",
        "--start": "2025-01-01",
        "--end": "2025-01-31",
    }
    options = base | dict(zip(change[::2], change[1::2], strict=True))
    result = run(*[part for pair in options.items() for part in pair])
    assert result.exit_code == 2
    assert f"--{parameter}:" in result.stderr
    assert result.stdout == ""


def test_ratios_are_sum_over_sum_for_every_bucket(demo, facts):
    """AOV per clipped ISO week equals Σ revenue ÷ Σ orders of its days, not a mean of days."""
    period = Period(dt.date(2024, 2, 28), dt.date(2024, 3, 13))
    table = metric_table("aov", "week", period, ("prior",), Filters.of(categories=["wholesale"]))
    wholesale = facts[facts["channel"] == "wholesale"]
    for row in table.itertuples():
        days = wholesale[(wholesale["day"] >= row.start) & (wholesale["day"] <= row.end)]
        sums = days[reference.MEASURES].sum()
        want = reference.metric_value(sums, "aov")
        assert (pd.isna(row.value) and want is None) or row.value == pytest.approx(want)
    assert [r.start.weekday() for r in table.itertuples()][1:] == [0, 0]
