"""Canonical demo data → source payloads → connectors → canonical data again.

The expectation is the generator's own frames, with the documented limits of each
source (``ingestion.demo.native.NATIVE_LIMITS``) applied here in plain pandas.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from db.engine import get_engine
from db.migrate import upgrade
from ingestion.batch import ORDER_KEY
from ingestion.demo import generate
from ingestion.demo import reference_data
from ingestion.demo.load import map_native_orders
from ingestion.demo.load import map_side_data
from ingestion.demo.native import native_orders
from ingestion.demo.native import spread
from ingestion.demo.native_files import native_side_data
from ingestion.demo.plan import period_start
from ingestion.demo.reference_tables import seed_reference_tables
from ingestion.enrich import enrich_orders
from ingestion.enrich import enrich_spend
from ingestion.mapping import DEFAULT_RULES
from ingestion.reference import upsert_reference

N_ORDERS, SEED, END = 4_000, 3, dt.date(2026, 6, 30)
ZONES = {
    "us": "America/New_York",
    "ca": "America/Toronto",
    "uk": "Europe/London",
    "de": "Europe/Berlin",
    "fr": "Europe/Paris",
}
DATED = ("sap", "salesforce")


@pytest.fixture(scope="module")
def reference_db(tmp_path_factory):
    """An embedded database holding the demo's reference tables, as the demo loader seeds them."""
    url = f"sqlite:///{tmp_path_factory.mktemp('reference') / 'reference.db'}"
    upgrade(url)
    reference = reference_data()
    with get_engine(url).begin() as conn:
        upsert_reference(conn, reference.regions, reference.locations, reference.products)
        seed_reference_tables(conn, period_start(END, 1), END)
    return get_engine(url)


@pytest.fixture(scope="module")
def trip(reference_db):
    """The generator's frames and the same chunks mapped back through the connectors and
    enriched from the reference tables (region, exchange rate, unit cost)."""
    chunks = list(generate(N_ORDERS, SEED, END, years=1, chunk_days=30))
    mapped, sides, rejects = [], [], {}
    for chunk in chunks:
        batch, failed, unchanged = map_native_orders(native_orders(chunk.orders), DEFAULT_RULES)
        assert not any(unchanged.values())
        rejects |= failed
        side = map_side_data(native_side_data(chunk))
        with reference_db.connect() as conn:
            batch, refused = enrich_orders(conn, batch)
            side["spend"], no_rate = enrich_spend(conn, side["spend"])
        assert refused.empty and no_rate.empty
        mapped.append(batch)
        sides.append(side)
    frames = {
        name: pd.concat([getattr(c.orders, name) for c in chunks], ignore_index=True)
        for name in ("orders", "lines", "refunds")
    }
    back = {
        name: pd.concat([getattr(b, name) for b in mapped], ignore_index=True)
        for name in ("orders", "lines", "refunds")
    }
    side = {name: pd.concat([s[name] for s in sides], ignore_index=True) for name in sides[0]}
    original_side = {
        name: pd.concat([getattr(c, name) for c in chunks], ignore_index=True)
        for name in ("traffic", "spend", "inventory", "touches")
    }
    return frames, back, side, original_side, rejects


def _expected_orders(orders: pd.DataFrame, refunds: pd.DataFrame) -> pd.DataFrame:
    """The generator's orders as each source can say them."""
    expected = orders.copy()
    system = expected["source_system"]
    refunded = refunds.groupby(ORDER_KEY)["amount_minor"].sum()
    refunded = refunded.reindex(pd.MultiIndex.from_frame(expected[ORDER_KEY]), fill_value=0)
    refunded = refunded.to_numpy()
    expected = expected[~((system == "salesforce") & (expected["status"] == "cancelled"))].copy()
    refunded = refunded[expected.index.to_numpy()]
    system = expected["source_system"]
    partly = (expected["status"] == "refunded") & (refunded < expected["total_minor"])
    expected.loc[partly | system.isin(DATED) & (expected["status"] == "refunded"), "status"] = (
        "completed"
    )
    expected.loc[system == "salesforce", "status"] = "completed"
    net = expected["subtotal_minor"] - expected["discount_minor"]
    dated = system.isin(DATED)
    expected.loc[dated, "subtotal_minor"] = net[dated]
    expected.loc[dated, "discount_minor"] = 0
    crm = system == "salesforce"
    expected.loc[crm, ["tax_minor", "shipping_minor"]] = 0
    expected.loc[crm, "total_minor"] = net[crm]
    expected["customer_key"] = [
        None if raw is None else hashlib.sha256(f"{s}:{i}:{raw}".encode()).hexdigest()
        for s, i, raw in zip(
            expected["source_system"],
            expected["source_instance"],
            expected["customer_key"],
            strict=True,
        )
    ]
    local_day = [
        ts.tz_convert(ZONES[region]).date()
        for ts, region in zip(expected["ordered_at"], expected["region_code"], strict=True)
    ]
    midday = pd.Series(
        [pd.Timestamp(day, tz="UTC") + pd.Timedelta(hours=12) for day in local_day],
        index=expected.index,
    )
    expected["ordered_at"] = expected["ordered_at"].where(~dated, midday)
    # JSON timestamps carry microseconds (SAP and Salesforce milliseconds).
    expected["source_updated_at"] = (
        expected["source_updated_at"]
        .dt.floor("us")
        .where(~dated, expected["source_updated_at"].dt.floor("ms"))
    )
    return expected


ORDER_FIELDS = [
    "touchpoint_raw",
    "touchpoint_code",
    "location_code",
    "region_code",
    "customer_key",
    "status",
    "currency",
    "subtotal_minor",
    "discount_minor",
    "tax_minor",
    "shipping_minor",
    "total_minor",
    "fx_rate",
    "ordered_at",
    "source_updated_at",
]


def test_every_payload_maps(trip):
    *_, rejects = trip
    assert rejects == {}


def test_every_order_comes_back_as_the_source_says_it(trip):
    frames, back, *_ = trip
    expected = _expected_orders(frames["orders"], frames["refunds"])
    assert len(back["orders"]) == len(expected)
    assert not back["orders"].duplicated(ORDER_KEY).any()
    joined = expected.merge(back["orders"], on=ORDER_KEY, suffixes=("", "_back"), how="outer")
    assert len(joined) == len(expected)
    for field in ORDER_FIELDS:
        left, right = joined[field], joined[f"{field}_back"]
        same = (left == right) | (left.isna() & right.isna())
        assert same.all(), f"{field}: {joined.loc[~same, [*ORDER_KEY, field, f'{field}_back']]}"
    # Every source system and every touchpoint, unassigned included, made the trip.
    assert set(back["orders"]["source_system"]) == {"shopify", "square", "sap", "salesforce"}
    assert "unassigned" in set(back["orders"]["touchpoint_code"])


def test_lines_come_back(trip):
    frames, back, *_ = trip
    kept = back["orders"][ORDER_KEY]
    lines = frames["lines"].merge(kept, on=ORDER_KEY)
    mapped = back["lines"]
    assert len(mapped) == len(lines)
    lines = lines.assign(rank=lines.groupby(ORDER_KEY).cumcount())
    mapped = mapped.assign(rank=mapped.groupby(ORDER_KEY).cumcount())
    joined = lines.merge(mapped, on=[*ORDER_KEY, "rank"], suffixes=("", "_back"))
    assert len(joined) == len(lines)
    for field in ("sku", "qty", "unit_cost_minor"):
        assert (joined[field] == joined[f"{field}_back"]).all(), field
    exact = ~joined["source_system"].isin(DATED)
    for field in ("line_no", "unit_price_minor", "discount_minor", "line_total_minor"):
        assert (joined.loc[exact, field] == joined.loc[exact, f"{field}_back"]).all(), field
    sap = joined["source_system"] == "sap"
    assert (joined.loc[sap, "line_no_back"] == joined.loc[sap, "line_no"] * 10).all()
    # In SAP and Salesforce the order discount sits in the items: they add up to the net.
    sums = mapped.groupby(ORDER_KEY)["line_total_minor"].sum()
    subtotal = back["orders"].set_index(ORDER_KEY)["subtotal_minor"]
    assert (sums.reindex(subtotal.index, fill_value=0) == subtotal).all()


def test_refunds_come_back_from_shopify_and_square(trip):
    frames, back, *_ = trip
    refunds = frames["refunds"][~frames["refunds"]["source_system"].isin(DATED)]
    assert len(refunds) > 20
    key = [*ORDER_KEY, "source_refund_id"]
    joined = refunds.merge(back["refunds"], on=key, suffixes=("", "_back"), how="outer")
    assert len(joined) == len(refunds) == len(back["refunds"])
    assert (joined["amount_minor"] == joined["amount_minor_back"]).all()
    assert (joined["refunded_at"].dt.floor("us") == joined["refunded_at_back"]).all()


def test_side_data_comes_back(trip):
    *_, side, original, _ = trip
    measures = ["sessions", "footfall", "opportunities", "opportunities_won"]

    def by_day(traffic: pd.DataFrame) -> pd.DataFrame:
        # GA4 has no region; a store's region is its location's (the loader looks it up).
        online = traffic["touchpoint_code"].isin(["web", "mobile_app"])
        online |= traffic["location_code"].notna()
        traffic = traffic.assign(
            region_code=traffic["region_code"].where(~online, "-").fillna("-"),
            location_code=traffic["location_code"].fillna("-"),
        )
        keys = ["day", "touchpoint_code", "region_code", "location_code"]
        summed = traffic.groupby(keys)[measures].sum()
        return summed[summed.sum(axis=1) > 0].sort_index()

    pd.testing.assert_frame_equal(by_day(side["traffic"]), by_day(original["traffic"]))
    spend_key = ["day", "touchpoint_code", "campaign", "source_system"]
    spend_columns = [*spend_key, "currency", "spend_minor", "impressions", "clicks"]

    def rows(frame: pd.DataFrame, columns: list[str]) -> list[tuple]:
        return sorted(frame[columns].itertuples(index=False, name=None))

    assert rows(side["spend"], spend_columns) == rows(original["spend"], spend_columns)
    stock_columns = ["day", "sku", "location_code", "on_hand", "on_order"]
    assert rows(side["inventory"], stock_columns) == rows(original["inventory"], stock_columns)
    touches, journeys = side["touches"], original["touches"]
    assert len(touches) == len(journeys)
    assert (touches["touched_at"] == journeys["touched_at"]).all()
    assert (touches["touchpoint_code"] == journeys["touchpoint_code"]).all()
    # A journey's customer is keyed as the system its order came from keys it.
    last = journeys["source_order_id"].notna().to_numpy()
    journey = np.cumsum(last) - last
    system = journeys["source_system"].to_numpy()[last][journey]
    instance = {"shopify": "main-store", "square": "retail"}
    expected = [
        hashlib.sha256(f"{s}:{instance[s]}:{raw}".encode()).hexdigest()
        for s, raw in zip(system, journeys["customer_key"], strict=True)
    ]
    assert touches["customer_key"].tolist() == expected


def test_payloads_are_the_sources_json(trip):
    """Every payload is plain JSON with the field types of the source's API."""
    chunk = next(iter(generate(2_000, SEED, END, years=1, chunk_days=60)))
    native = native_orders(chunk.orders)
    for _, payload in native.items():
        assert json.loads(json.dumps(payload)) == payload
    shopify = native.shopify[0]
    assert isinstance(shopify["id"], int) and isinstance(shopify["total_price"], str)
    assert all(isinstance(o["total_money"]["amount"], int) for o in native.square)
    assert all(o["SalesOrderDate"].startswith("/Date(") for o in native.sap)
    assert all(isinstance(o["Amount"], float) for o in native.salesforce)


@pytest.mark.parametrize(
    ("total", "weights"), [(7, [1, 1, 1]), (100, [0, 0]), (0, [5, 7]), (99, [1000, 1, 1])]
)
def test_spread_splits_exactly(total, weights):
    shares = spread(total, weights)
    assert sum(shares) == total
    assert all(s >= 0 for s in shares)
