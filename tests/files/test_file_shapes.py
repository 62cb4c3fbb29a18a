"""The common export shapes load as they are: orders without lines (their totals and units
alone), and a line-level file (one row per item, no order total, date and time in two
columns) whose order totals, units and AOV per month equal pandas over the file to the cent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import func
from sqlalchemy import select

from analytics.line_coverage import lines_note
from analytics.metric_table import metric_table
from analytics.periods import Period
from db.engine import get_engine
from db.schema import OrderLine
from db.schema import SalesOrder
from ingestion.canonical import to_order_batch
from ingestion.columnar import map_page_columnar
from ingestion.connectors.files import FileMapping
from ingestion.connectors.files import RowError
from ingestion.connectors.files import iter_file
from ingestion.file_sync import ingest_file
from ingestion.mapping import DEFAULT_RULES
from ingestion.reference import upsert_reference
from ingestion.sync.mapping import WIDTHS

pytestmark = pytest.mark.postgres
PERIOD = Period(dt.date(2024, 1, 1), dt.date(2024, 3, 31))
CENT = Decimal("0.01")

NO_LINES = """\
kind: orders
fields:
  source_system: {value: bookings}
  source_instance: {value: main}
  source_order_id: booking
  ordered_at: {column: booked, type: datetime, format: "%Y-%m-%d", timezone: UTC}
  currency: {value: USD}
  status: {value: completed}
  total: {column: amount, type: decimal}
  units: {column: guests, type: int}
touchpoint_fields:
  channel: channel
"""
LINE_LEVEL = """\
kind: orders
delimiter: ";"
decimal_separator: ","
fields:
  source_system: {value: shop}
  source_instance: {value: eu}
  source_order_id: Order
  ordered_at: {columns: [Date, Time], type: datetime, format: "%d/%m/%Y %H:%M", timezone: UTC}
  currency: {value: USD}
  status: {value: completed}
  tax: {column: Tax, type: decimal, default: 0}
  shipping: {column: Shipping, type: decimal, default: 0}
touchpoint_fields:
  channel: Channel
line_fields:
  sku: SKU
  qty: {column: Qty, type: int}
  unit_price: {column: Price, type: decimal}
  discount: {column: LineDiscount, type: decimal}
"""


def monthly(metric: str) -> dict[str, float]:
    table = metric_table(metric, "month", PERIOD, compare=())
    return {str(pd.Timestamp(r.start).to_period("M")): r.value for r in table.itertuples()}


def test_orders_without_lines_carry_their_totals_and_units(pg_url, tmp_path):
    export = tmp_path / "bookings.csv"
    export.write_text(
        "booking,booked,channel,amount,guests\n"
        "B1,2024-01-05,agents,120.50,2\n"
        "B2,2024-01-20,direct,80.00,\n"  # units left empty: 0
        "B3,2024-02-11,direct,99.99,3\n"
        "B3,2024-02-11,direct,99.99,3\n"  # an order id twice in a file without lines
    )
    mapping = tmp_path / "bookings.yml"
    mapping.write_text(NO_LINES)
    result = ingest_file(export, mapping)
    assert (result.inserted, result.rejected) == (2, 1)
    items = list(iter_file(export.read_bytes(), FileMapping.from_text(NO_LINES)))
    (refused,) = [item for item in items if isinstance(item, RowError)]
    assert refused.row == 4 and "on 2 rows (lines 4, 5)" in refused.reason
    with get_engine().connect() as conn:
        orders = conn.execute(
            select(
                SalesOrder.source_order_id,
                SalesOrder.subtotal,
                SalesOrder.total,
                SalesOrder.units,
            ).order_by(SalesOrder.source_order_id)
        ).all()
        assert conn.execute(select(func.count()).select_from(OrderLine)).scalar() == 0
    assert [tuple(o) for o in orders] == [
        ("B1", Decimal("120.50"), Decimal("120.50"), 2),
        ("B2", Decimal("80.00"), Decimal("80.00"), 0),
    ]
    assert monthly("units") == {"2024-01": 2, "2024-02": 0, "2024-03": 0}
    assert monthly("revenue")["2024-01"] == pytest.approx(200.50)
    # Pages that need lines say which channels have none instead of answering silently.
    assert lines_note(PERIOD, "the basket analysis") == (
        "No order lines loaded for Unassigned in this period (none, or none of a known "
        "product): the basket analysis leaves their orders out."
    )


def test_orders_with_lines_of_known_products_need_no_note(pg_url, tmp_path):
    products = pd.DataFrame(
        {
            "sku": ["MUG", "CAP", "TEE"],
            "name": ["Mug", "Cap", "T-shirt"],
            "category": ["Home", "Apparel", "Apparel"],
            "list_price_minor": [1250, 1999, 1500],
            "unit_cost_minor": [400, 700, 600],
        }
    )
    empty = pd.DataFrame(columns=["code", "name", "currency", "kind", "region_code"])
    with get_engine().begin() as conn:
        upsert_reference(conn, empty, empty, products)
    export = tmp_path / "items.csv"
    export.write_text(line_level_file())
    mapping = tmp_path / "items.yml"
    mapping.write_text(LINE_LEVEL)
    ingest_file(export, mapping)
    assert lines_note(PERIOD, "the basket analysis") is None


def test_units_with_lines_are_refused_in_the_mapping():
    with pytest.raises(ValueError, match="units come from the lines' qty"):
        FileMapping.from_text(LINE_LEVEL.replace("  tax:", "  units: Qty\n  tax:"))


def line_level_file() -> str:
    rows = [
        # Order;Date;Time;Channel;SKU;Qty;Price;LineDiscount;Tax;Shipping
        "A1;03/01/2024;09:30;web;MUG;2;12,50;;4,75;4,95",
        "A1;03/01/2024;09:30;web;CAP;1;19,99;2,00;4,75;4,95",
        "A2;31/01/2024;23:59;store;MUG;4;12,50;;0;0",
        "A3;01/02/2024;00:01;web;TEE;3;15,00;1,50;;",
        "A3;01/02/2024;00:01;web;MUG;1;12,50;;;",
        "A4;15/03/2024;14:00;marketplace;CAP;5;19,99;;9,50;0",
    ]
    header = "Order;Date;Time;Channel;SKU;Qty;Price;LineDiscount;Tax;Shipping"
    return "\n".join([header, *rows]) + "\n"


def test_a_line_level_file_derives_order_totals_units_and_aov(pg_url, tmp_path):
    export = tmp_path / "items.csv"
    export.write_text(line_level_file())
    mapping = tmp_path / "items.yml"
    mapping.write_text(LINE_LEVEL)
    result = ingest_file(export, mapping)
    assert (result.inserted, result.rejected) == (4, 0)

    # pandas over the raw file: the line totals, then per order the tax and shipping once.
    raw = pd.read_csv(export, sep=";", decimal=",", dtype=str, keep_default_na=False)
    money = lambda s: s.str.replace(",", ".").replace("", "0").map(Decimal)  # noqa: E731
    raw["line_total"] = raw["Qty"].astype(int) * money(raw["Price"]) - money(raw["LineDiscount"])
    raw["tax"], raw["shipping"] = money(raw["Tax"]), money(raw["Shipping"])
    raw["month"] = pd.to_datetime(raw["Date"], format="%d/%m/%Y").dt.to_period("M").astype(str)
    orders = raw.groupby("Order").agg(
        subtotal=("line_total", "sum"),
        tax=("tax", "first"),
        shipping=("shipping", "first"),
        units=("Qty", lambda q: q.astype(int).sum()),
        month=("month", "first"),
    )
    orders["total"] = orders["subtotal"] + orders["tax"] + orders["shipping"]
    with get_engine().connect() as conn:
        stored = {
            r.source_order_id: (r.subtotal, r.total, r.units, r.ordered_at)
            for r in conn.execute(select(SalesOrder))
        }
    for order, want in orders.iterrows():
        subtotal, total, units, _ = stored[order]
        assert (subtotal, total, units) == (want.subtotal, want.total, want["units"])
    assert stored["A2"][3] == dt.datetime(2024, 1, 31, 23, 59, tzinfo=dt.UTC)

    per_month = orders.groupby("month")
    revenue = {m: sum(g["total"] - g["tax"], Decimal(0)) for m, g in per_month}
    aov = {m: (revenue[m] / len(g)).quantize(CENT) for m, g in per_month}
    assert {m: round(v, 2) for m, v in monthly("revenue").items()} == {
        m: float(v) for m, v in revenue.items()
    }
    assert {m: Decimal(str(round(v, 2))) for m, v in monthly("aov").items()} == aov
    assert monthly("units") == {m: int(g["units"].sum()) for m, g in per_month}
    assert monthly("orders") == {m: len(g) for m, g in per_month}


def test_the_columnar_mapper_keeps_an_order_s_own_units_as_the_per_record_path():
    """Orders without lines carry ``units``: the columnar batch equals ``to_order_batch``."""
    data = (
        b"booking,booked,channel,amount,guests\n"
        b"B1,2024-01-05,agents,120.50,2\nB2,2024-01-20,direct,80.00,\n"
    )
    orders = list(iter_file(data, FileMapping.from_text(NO_LINES)))
    unvalidated = [(i, order.model_dump()) for i, order in enumerate(orders)]
    batch, count = map_page_columnar(unvalidated, lambda i: orders[i], DEFAULT_RULES, widths=WIDTHS)
    expected = to_order_batch(orders, DEFAULT_RULES)
    assert count == 2 and list(batch.orders["units"]) == [2, None]
    for name in ("orders", "lines", "refunds"):
        pd.testing.assert_frame_equal(getattr(batch, name), getattr(expected, name))


def test_optional_line_fields_stay_optional():
    """Lines with a SKU and an amount only: one item each, the unit price from the amount."""
    mapping = FileMapping.from_dict(
        {
            "kind": "orders",
            "fields": {
                "source_system": {"value": "till"},
                "source_instance": {"value": "s1"},
                "source_order_id": "receipt",
                "ordered_at": {"column": "at", "type": "datetime", "timezone": "UTC"},
                "currency": {"value": "EUR"},
                "status": {"value": "completed"},
            },
            "line_fields": {
                "sku": "item",
                "line_total": {"column": "amount", "type": "decimal"},
                "unit_cost": {"column": "cost", "type": "decimal"},
            },
        }
    )
    data = (
        b"receipt,at,item,amount,cost\n"
        b"R1,2024-05-02T10:00:00,MUG,12.50,\n"
        b"R1,2024-05-02T10:00:00,CAP,7.00,3.10\n"
    )
    (order,) = iter_file(data, mapping)
    assert [(ln.sku, ln.qty, ln.unit_price, ln.unit_cost) for ln in order.lines] == [
        ("MUG", 1, Decimal("12.50"), Decimal(0)),
        ("CAP", 1, Decimal("7.00"), Decimal("3.10")),
    ]
    assert (order.subtotal, order.total) == (Decimal("19.50"), Decimal("19.50"))
