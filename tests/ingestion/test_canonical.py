"""The canonical model: validation with readable reasons, payload decoding, columnar batches."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import time
from decimal import Decimal

import pandas as pd
import pytest

from ingestion.batch import BATCH_ORDER_COLUMNS
from ingestion.batch import INVENTORY_COLUMNS
from ingestion.batch import LINE_COLUMNS
from ingestion.batch import REFUND_COLUMNS
from ingestion.batch import SPEND_COLUMNS
from ingestion.batch import TOUCH_COLUMNS
from ingestion.batch import TRAFFIC_COLUMNS
from ingestion.canonical import ISO_4217_MINOR_UNITS
from ingestion.canonical import CanonicalInventory
from ingestion.canonical import CanonicalOrder
from ingestion.canonical import CanonicalSpend
from ingestion.canonical import CanonicalTouch
from ingestion.canonical import CanonicalTraffic
from ingestion.canonical import decode_payload
from ingestion.canonical import inventory_frame
from ingestion.canonical import parse
from ingestion.canonical import payload_sha256
from ingestion.canonical import spend_frame
from ingestion.canonical import to_order_batch
from ingestion.canonical import touch_frame
from ingestion.canonical import traffic_frame
from ingestion.canonical import validate_orders
from ingestion.errors import MappingError
from ingestion.mapping import DEFAULT_RULES

PAYLOAD = {"id": 1001, "total_price": "56.27"}


def order_dict(**changes) -> dict:
    order = {
        "source_system": "shopify",
        "source_instance": "main-store",
        "source_order_id": "1001",
        "source_version": 1717416000000,
        "source_updated_at": "2024-06-03T08:00:00-04:00",
        "ordered_at": "2024-06-01T10:15:00-04:00",
        "touchpoint_fields": {"source_name": "iphone"},
        "region_code": "US-CA",
        "customer_key": "c" * 64,
        "status": "completed",
        "currency": "USD",
        "subtotal": "50.48",
        "discount": "3.00",
        "tax": "3.80",
        "shipping": "4.99",
        "total": "56.27",
        "lines": [
            {
                "line_no": 1,
                "sku": "TSHIRT-M",
                "qty": 2,
                "unit_price": "19.99",
                "discount": "2.00",
                "line_total": "37.98",
                "unit_cost": "7.10",
            },
            {"line_no": 2, "sku": "MUG", "qty": 1, "unit_price": "12.50", "line_total": "12.50"},
        ],
        "refunds": [
            {"source_refund_id": "R1", "refunded_at": "2024-06-03T07:59:00Z", "amount": "12.50"}
        ],
        "payload": PAYLOAD,
        "payload_sha256": payload_sha256(PAYLOAD),
    }
    for path, value in changes.items():
        target = order
        *parents, last = path.split("__")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is DELETE:
            del target[last]
        else:
            target[last] = value
    return order


DELETE = object()
FAR_FUTURE = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).isoformat()


def test_valid_order():
    order = parse(CanonicalOrder, order_dict())
    assert order.refund_total == Decimal("12.50")
    assert order.ordered_at == dt.datetime(2024, 6, 1, 14, 15, tzinfo=dt.UTC)
    assert order.lines[0].unit_cost == Decimal("7.10")


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"source_order_id": DELETE}, "source_order_id: Field required"),
        ({"currency": DELETE}, "currency: Field required"),
        ({"source_version": "v7"}, "source_version: Input should be a valid integer"),
        ({"subtotal": "fifty"}, "subtotal: Input should be a valid decimal"),
        ({"lines__0__qty": 1.5}, "lines.0.qty: Input should be a valid integer"),
        ({"touchpoint_fields": ["web"]}, "touchpoint_fields: Input should be a valid dictionary"),
        ({"currency": "XYZ"}, "currency 'XYZ' is not an active ISO 4217 code"),
        ({"currency": "US"}, "currency: String should match pattern"),
        ({"currency": "HRK"}, "'HRK' is not an active ISO 4217"),  # replaced by EUR in 2023
        ({"status": "shipped"}, "status: Input should be 'open', 'completed', 'cancelled'"),
        ({"lines__1__qty": -1}, "lines.1.qty: Input should be greater than or equal to 0"),
        ({"tax": "-3.80"}, "tax: Input should be greater than or equal to 0"),
        ({"lines__0__sku": "  "}, "lines.0.sku: String should have at least 1 character"),
        ({"lines__1__line_no": 1}, "line numbers repeat: [1, 1]"),
        ({"subtotal": "50.50"}, "line totals sum to 50.48 but the subtotal is 50.50"),
        (
            {"total": "56.29"},
            "subtotal − discount + shipping + tax is 56.27 but the total is 56.29",
        ),
        ({"refunds__0__amount": "60.00"}, "refunds of 60.00 exceed the total 56.27"),
        ({"ordered_at": FAR_FUTURE}, "ordered_at " + FAR_FUTURE[:10]),
        ({"refunds__0__refunded_at": FAR_FUTURE}, "refund R1 at"),
        ({"ordered_at": "2024-06-01T10:15:00"}, "ordered_at: Input should have timezone info"),
        (
            {"refunds__0__refunded_at": "2024-06-03 07:59"},
            "refunded_at: Input should have timezone",
        ),
        ({"payload_sha256": "abc"}, "payload_sha256: String should match pattern"),
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
        ({"fx_rate": "0"}, "fx_rate: Input should be greater than 0"),
        ({"subtotal": "NaN"}, "subtotal: Input should be a finite number"),
    ],
)
def test_invalid_orders_give_readable_reasons(changes, reason):
    with pytest.raises(MappingError) as caught:
        parse(CanonicalOrder, order_dict(**changes))
    assert reason in str(caught.value)


def test_amounts_may_differ_by_one_minor_unit_but_not_more():
    parse(CanonicalOrder, order_dict(total="56.28"))
    with pytest.raises(MappingError):
        parse(CanonicalOrder, order_dict(total="56.29"))
    # Zero-decimal currency: one yen of slack.
    yen = {
        "currency": "JPY",
        "subtotal": "3000",
        "discount": "0",
        "tax": "0",
        "shipping": "0",
        "total": "3001",
        "lines": [
            {"line_no": 1, "sku": "TEA", "qty": 2, "unit_price": "1500", "line_total": "3000"}
        ],
        "refunds": [],
    }
    parse(CanonicalOrder, order_dict(**yen))
    with pytest.raises(MappingError, match="total is 3002"):
        parse(CanonicalOrder, order_dict(**{**yen, "total": "3002"}))


def test_tax_inclusive_prices_reconcile_without_adding_tax():
    order = parse(
        CanonicalOrder,
        order_dict(taxes_included=True, tax="8.06", total="52.47"),
    )
    assert order.total - order.tax == Decimal("44.41")


def test_future_tolerance_is_configurable():
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=5)).isoformat()
    parse(CanonicalOrder, order_dict(source_updated_at=soon))
    with pytest.raises(MappingError, match="source_updated_at"):
        parse(
            CanonicalOrder,
            order_dict(source_updated_at=soon),
            future_tolerance=dt.timedelta(hours=1),
        )


def test_currency_list_is_iso_4217():
    assert ISO_4217_MINOR_UNITS["USD"] == 2
    assert ISO_4217_MINOR_UNITS["JPY"] == 0
    assert ISO_4217_MINOR_UNITS["KWD"] == 3
    assert ISO_4217_MINOR_UNITS["CLF"] == 4
    assert "XAU" not in ISO_4217_MINOR_UNITS and "XTS" not in ISO_4217_MINOR_UNITS
    assert all(len(c) == 3 and c.isupper() for c in ISO_4217_MINOR_UNITS)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b'{"id": 1, "total_price": "56.', "payload is not valid JSON: Unterminated string"),
        (b'{"id": 1, "note": "caf\xe9"}', "payload is not valid UTF-8: byte 0xe9 at offset 22"),
        (b"[1, 2, 3]", "payload is a JSON list, expected an object"),
        (b"", "payload is not valid JSON: Expecting value at line 1 column 1"),
    ],
)
def test_decode_payload_errors(raw, reason):
    with pytest.raises(MappingError) as caught:
        decode_payload(raw)
    assert str(caught.value).startswith(reason)


def test_payload_hash_ignores_whitespace_and_key_order():
    a = decode_payload(b'{"b": 1, "a": "caf\xc3\xa9"}')
    b = decode_payload(b'{\n  "a": "caf\\u00e9",\n  "b": 1\n}')
    assert payload_sha256(a) == payload_sha256(b)
    assert payload_sha256(a) == hashlib.sha256('{"a":"café","b":1}'.encode()).hexdigest()


def test_validate_orders_splits_good_and_bad():
    rows = [order_dict(), order_dict(total="1.00"), order_dict(source_order_id="1002")]
    valid, invalid = validate_orders(rows)
    assert [o.source_order_id for o in valid] == ["1001", "1002"]
    assert [i for i, _ in invalid] == [1]
    assert "total is 1.00" in invalid[0][1]


def test_order_batch_columns_and_minor_units():
    rows = [
        order_dict(),
        order_dict(
            source_system="salesforce",
            source_order_id="006A",
            touchpoint_fields={"StageName": "Closed Won", "LeadSource": "Phone Inquiry"},
            fx_rate="1.0825",
        ),
        order_dict(source_order_id="1003", touchpoint_fields={"source_name": "pos"}),
    ]
    orders = [parse(CanonicalOrder, r) for r in rows]
    batch = to_order_batch(orders, DEFAULT_RULES)

    assert list(batch.orders.columns) == BATCH_ORDER_COLUMNS
    assert list(batch.lines.columns) == LINE_COLUMNS
    assert list(batch.refunds.columns) == REFUND_COLUMNS
    assert list(batch.orders["touchpoint_code"]) == ["mobile_app", "call_center", "unassigned"]
    assert list(batch.orders["touchpoint_raw"]) == [
        "source_name=iphone",
        "LeadSource=Phone Inquiry;StageName=Closed Won",
        "source_name=pos",
    ]
    assert set(batch.orders["mapping_version"]) == {DEFAULT_RULES.version}
    # Minor units, computed independently from the decimal strings of the input.
    for column in ("subtotal", "discount", "tax", "shipping", "total"):
        expected = [int(r[column].replace(".", "")) for r in rows]
        assert list(batch.orders[f"{column}_minor"]) == expected, column
    expected_lines = [
        (int(line["unit_price"].replace(".", "")), int(line["line_total"].replace(".", "")))
        for r in rows
        for line in r["lines"]
    ]
    got = list(zip(batch.lines["unit_price_minor"], batch.lines["line_total_minor"], strict=True))
    assert got == expected_lines
    assert list(batch.lines["unit_cost_minor"]) == [710, 0] * 3
    assert list(batch.refunds["amount_minor"]) == [1250] * 3
    # No rate from the source is NaN: the enrichment takes it from the exchange_rate table.
    fx = batch.orders["fx_rate"]
    assert fx.isna().tolist() == [True, False, True] and fx[1] == 1.0825
    for frame, column in (
        (batch.orders, "ordered_at"),
        (batch.orders, "source_updated_at"),
        (batch.refunds, "refunded_at"),
    ):
        assert str(frame[column].dtype) == "datetime64[ns, UTC]"
    assert batch.orders["ordered_at"][0] == pd.Timestamp("2024-06-01T14:15:00Z")
    assert batch.orders["payload"][0] == PAYLOAD
    assert batch.orders["total_minor"].dtype == "int64"
    assert batch.lines["qty"].dtype == "int64"


def test_order_batch_rounds_sub_cent_amounts_half_to_even():
    rows = order_dict(
        currency="KWD",
        subtotal="1.005",
        discount="0",
        tax="0",
        shipping="0",
        total="1.015",
        lines=[{"line_no": 1, "sku": "X", "qty": 1, "unit_price": "1.005", "line_total": "1.005"}],
        refunds=[],
    )
    with pytest.raises(MappingError):  # 1.005 vs 1.015 differ by 10 fils, more than one
        parse(CanonicalOrder, rows)
    rows["total"] = "1.006"
    batch = to_order_batch([parse(CanonicalOrder, rows)], DEFAULT_RULES)
    assert batch.orders["subtotal_minor"][0] == 100  # 100.5 → 100 (half to even)
    assert batch.orders["total_minor"][0] == 101


def test_empty_batch_has_the_columns():
    batch = to_order_batch([], DEFAULT_RULES)
    assert len(batch) == 0
    assert list(batch.orders.columns) == BATCH_ORDER_COLUMNS


def test_side_table_frames():
    day = dt.date(2024, 6, 3)
    traffic = traffic_frame(
        [
            CanonicalTraffic(day=day, touchpoint_code="web", source_system="ga4", sessions=120),
            CanonicalTraffic(day=day, touchpoint_code="web", source_system="ga4", sessions=300),
            CanonicalTraffic(
                day=day,
                touchpoint_code="physical_store",
                source_system="counter",
                location_code="S1",
                footfall=977,
            ),
        ]
    )
    assert list(traffic.columns) == TRAFFIC_COLUMNS
    by_touchpoint = traffic.set_index("touchpoint_code")
    assert by_touchpoint.loc["web", "sessions"] == 420
    assert by_touchpoint.loc["web", "location_code"] is None
    assert by_touchpoint.loc["physical_store", "footfall"] == 977

    spend = spend_frame(
        [
            CanonicalSpend(
                day=day,
                touchpoint_code="web",
                campaign="Summer",
                source_system="ads",
                currency="eur",
                spend="1234.56",
                fx_rate="1.08",
                impressions=10,
            )
        ]
    )
    assert list(spend.columns) == SPEND_COLUMNS
    assert spend.loc[0, "spend_minor"] == 123456 and spend.loc[0, "currency"] == "EUR"
    with pytest.raises(MappingError, match="'ABC' is not an active ISO 4217"):
        parse(CanonicalSpend, {**spend.iloc[0].to_dict(), "spend": "1", "currency": "ABC"})

    inventory = inventory_frame(
        [CanonicalInventory(day=day, sku="MUG", location_code="S1", on_hand=4, on_order=10)]
    )
    assert list(inventory.columns) == INVENTORY_COLUMNS
    assert inventory.loc[0, "on_order"] == 10

    touches = touch_frame(
        [
            CanonicalTouch(
                customer_key="c1",
                touched_at="2024-06-03T10:00:00+02:00",
                touchpoint_code="web",
                source_system="ga4",
            )
        ]
    )
    assert list(touches.columns) == TOUCH_COLUMNS
    assert touches.loc[0, "touched_at"] == pd.Timestamp("2024-06-03T08:00:00Z")
    with pytest.raises(MappingError, match="touched_at: Input should have timezone info"):
        parse(
            CanonicalTouch,
            {
                "customer_key": "c",
                "touched_at": "2024-06-03T10:00",
                "touchpoint_code": "web",
                "source_system": "x",
            },
        )


@pytest.mark.slow
def test_100k_orders_validate_and_batch_in_seconds():
    base = order_dict()
    rows = []
    for i in range(100_000):
        row = copy.copy(base)
        row["source_order_id"] = str(i)
        rows.append(row)
    started = time.process_time()
    orders, invalid = validate_orders(rows)
    validated = time.process_time()
    batch = to_order_batch(orders, DEFAULT_RULES)
    finished = time.process_time()
    print(f"validate {validated - started:.2f} s CPU, batch {finished - validated:.2f} s CPU")
    assert not invalid
    assert len(batch.orders) == 100_000 and len(batch.lines) == 200_000
    assert batch.orders["total_minor"].sum() == 5627 * 100_000
    assert finished - started < 30
    json.dumps(batch.orders["payload"][0])
