"""File drops: the example YAML mappings on fixture CSVs, row errors, orders from line rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from ingestion.canonical import CanonicalOrder
from ingestion.canonical import spend_frame
from ingestion.canonical import to_order_batch
from ingestion.canonical import traffic_frame
from ingestion.connectors.files import MAPPINGS_DIR
from ingestion.connectors.files import FileMapping
from ingestion.connectors.files import RowError
from ingestion.connectors.files import iter_file
from ingestion.connectors.files import read_file
from ingestion.errors import IngestionError
from ingestion.mapping import DEFAULT_RULES

FIXTURES = Path(__file__).parent / "fixtures"


def test_footfall_counter_csv():
    mapping = FileMapping.from_yaml(MAPPINGS_DIR / "footfall_counter.yaml")
    result = read_file(FIXTURES / "footfall.csv", mapping)

    assert [e.row for e in result.errors] == [4, 5]
    assert "Besucher" in result.errors[0].reason and "zwölf" in result.errors[0].reason
    assert "31.06.2024" in result.errors[1].reason

    # Independently: pandas reads the same file with German number format.
    raw = pd.read_csv(FIXTURES / "footfall.csv", sep=";", dtype=str)
    good = raw[raw["Besucher"].str.fullmatch(r"[\d.]+") & (raw["Datum"] != "31.06.2024")]
    expected = {
        (dt.datetime.strptime(d, "%d.%m.%Y").date(), store): int(v.replace(".", ""))
        for d, store, v in zip(good["Datum"], good["Filiale"], good["Besucher"], strict=True)
    }
    frame = traffic_frame(result.records)
    got = {(r.day, r.location_code): r.footfall for r in frame.itertuples()}
    assert got == expected
    assert set(frame["touchpoint_code"]) == {"physical_store"}
    assert set(frame["source_system"]) == {"footfall-counter"}
    assert (frame["sessions"] == 0).all()


def test_ad_spend_csv():
    mapping = FileMapping.from_yaml(MAPPINGS_DIR / "ad_spend.yaml")
    result = read_file(FIXTURES / "ad_spend.csv", mapping)

    reasons = {e.row: e.reason for e in result.errors}
    assert set(reasons) == {4, 5}
    assert "'tiktok_ads' is not one of" in reasons[4]
    assert "spend" in reasons[5] and "greater than or equal to 0" in reasons[5]

    frame = spend_frame(result.records)
    assert list(frame["touchpoint_code"]) == ["web", "web", "marketplace"]
    assert list(frame["campaign"]) == ["Summer Sale", "", "Prime Day"]
    assert list(frame["spend_minor"]) == [123456, 9990, 45000]
    assert list(frame["impressions"]) == [120000, 50000, 0]


def test_invalid_utf8_and_truncated_json_lines_are_row_errors():
    mapping = FileMapping.from_dict(
        {
            "kind": "inventory",
            "format": "jsonl",
            "fields": {
                "day": {"column": "day", "type": "date"},
                "sku": "sku",
                "location_code": "store",
                "on_hand": {"column": "qty", "type": "int"},
            },
        }
    )
    data = (
        b'{"day": "2024-06-03", "sku": "MUG", "store": "S1", "qty": 4}\n'
        b'{"day": "2024-06-03", "sku": "CAP\xff", "store": "S1", "qty": 1}\n'
        b'{"day": "2024-06-03", "sku": "TEE", "store": "S1", "qty"\n'
        b"[1, 2]\n"
        b'{"day": "2024-06-03", "sku": "TEE", "store": "S1", "qty": -2}\n'
    )
    items = list(iter_file(data, mapping))
    errors = [i for i in items if isinstance(i, RowError)]
    assert [e.row for e in errors] == [2, 3, 4, 5]
    assert "invalid UTF-8 byte 0xff" in errors[0].reason
    assert "invalid JSON" in errors[1].reason
    assert "expected an object" in errors[2].reason
    assert "on_hand" in errors[3].reason
    records = [i for i in items if not isinstance(i, RowError)]
    assert [(r.sku, r.on_hand) for r in records] == [("MUG", 4)]


def test_invalid_utf8_in_a_csv_cell_is_a_row_error():
    mapping = FileMapping.from_dict(
        {
            "kind": "traffic",
            "fields": {
                "day": {"column": "day", "type": "date"},
                "touchpoint_code": "tp",
                "source_system": {"value": "counter"},
                "footfall": {"column": "n", "type": "int"},
            },
        }
    )
    data = b"day,tp,n\n2024-06-03,physical_store,5\n2024-06-03,phys\xe9,6\n"
    items = list(iter_file(data, mapping))
    assert items[1] == RowError(3, "invalid UTF-8 in column tp")
    assert items[0].footfall == 5


def test_orders_from_line_rows_with_minor_units_and_time_zone():
    mapping = FileMapping.from_dict(
        {
            "kind": "orders",
            "fields": {
                "source_system": {"value": "sap"},
                "source_instance": {"value": "eu"},
                "source_order_id": "order",
                "ordered_at": {
                    "column": "placed",
                    "type": "datetime",
                    "format": "%Y-%m-%d %H:%M",
                    "timezone": "Europe/Berlin",
                },
                "status": {"column": "state", "map": {"done": "completed", "new": "open"}},
                "currency": "cur",
                "customer_id": "customer",
                "total": {"column": "total_cents", "type": "decimal", "minor_units": True},
            },
            "touchpoint_fields": {"DistributionChannel": "channel"},
            "line_fields": {
                "sku": "sku",
                "qty": {"column": "qty", "type": "int"},
                "unit_price": {"column": "price_cents", "type": "decimal", "minor_units": True},
            },
        }
    )
    data = (
        b"order,placed,state,cur,customer,total_cents,channel,sku,qty,price_cents\n"
        b"A1,2024-06-03 09:30,done,EUR,C9,2250,10,TG11,2,1000\n"
        b"A2,2024-06-03 10:00,new,EUR,C9,999,12,TG12,1,500\n"
        b"A1,2024-06-03 09:30,done,EUR,C9,2250,10,TG12,1,250\n"
    )
    items = list(iter_file(data, mapping))
    first, second = items
    assert isinstance(first, CanonicalOrder)
    assert first.ordered_at == dt.datetime(2024, 6, 3, 7, 30, tzinfo=dt.UTC)
    assert [(line.line_no, line.sku, line.line_total) for line in first.lines] == [
        (1, "TG11", Decimal("20.00")),
        (2, "TG12", Decimal("2.50")),
    ]
    assert first.total == Decimal("22.50") and first.customer_key is not None
    # A2: one line of 5.00 but a total of 9.99 — rejected at its first row with the reason.
    assert second == RowError(
        3, "order: subtotal − discount + shipping + tax is 5.00 but the total is 9.99", "A2"
    )
    batch = to_order_batch([first], DEFAULT_RULES)
    assert batch.orders["touchpoint_code"][0] == "b2b_portal"
    assert list(batch.lines["unit_price_minor"]) == [1000, 250]


@pytest.mark.parametrize(
    ("mapping", "reason"),
    [
        ({"kind": "sales", "fields": {}}, "mapping kind 'sales'"),
        ({"kind": "spend", "format": "xml", "fields": {}}, "format 'xml'"),
        ({"kind": "spend", "fields": {"day": {"type": "date"}}}, "exactly one of column or value"),
        ({"kind": "spend", "fields": {"day": {"column": "d", "type": "when"}}}, "type 'when'"),
        ({"kind": "spend", "fields": {}, "colour": "red"}, "unknown keys"),
    ],
)
def test_bad_mappings_are_refused(mapping, reason):
    with pytest.raises(IngestionError, match=reason):
        FileMapping.from_dict(mapping)
