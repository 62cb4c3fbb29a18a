"""The demo generator: determinism, the batch frames, order economics, places, channels,
statuses and the payload hash (its realism: ``test_realism.py``; its targets:
``test_targets.py``).

Every check recomputes the property from the generated frames with plain pandas /
numpy, independently of how the generator builds them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import numpy as np
import pandas as pd
import pytest

from ingestion.batch import INVENTORY_COLUMNS
from ingestion.batch import LINE_COLUMNS
from ingestion.batch import ORDER_COLUMNS
from ingestion.batch import ORDER_KEY
from ingestion.batch import REFUND_COLUMNS
from ingestion.batch import SPEND_COLUMNS
from ingestion.batch import TOUCH_COLUMNS
from ingestion.batch import TRAFFIC_COLUMNS
from ingestion.demo import generate
from ingestion.demo import reference_data
from ingestion.demo.load import chunk_days_for
from ingestion.demo.order_hash import LINE_RECORD
from tests.ingestion.demo.frames import END
from tests.ingestion.demo.frames import N_ORDERS
from tests.ingestion.demo.frames import SEED
from tests.ingestion.demo.frames import START
from tests.ingestion.demo.frames import collect

# The default channel rules of the taxonomy: (source_system, field, operator, value, touchpoint).
DEFAULT_RULES = [
    ("shopify", "source_name", "equals", "web", "web"),
    ("shopify", "source_name", "in", "iphone,android,mobile_app", "mobile_app"),
    ("shopify", "source_name", "in", "amazon,ebay", "marketplace"),
    ("square", "source_name", "any", "", "physical_store"),
    ("sap", "DistributionChannel", "in", "10,12", "b2b_portal"),
    ("salesforce", "LeadSource", "equals", "Phone Inquiry", "call_center"),
    ("salesforce", "StageName", "equals", "Closed Won", "sales_rep"),
]


def test_reference_data_is_a_plausible_retailer():
    ref = reference_data()
    assert len(ref.regions) == 5
    assert {"USD", "CAD", "GBP", "EUR"} <= set(ref.regions["currency"])
    assert set(ref.regions["currency"]) <= set(ref.fx_rates["currency"])
    kinds = ref.locations["kind"].value_counts()
    assert kinds["store"] == 20 and kinds["warehouse"] == 2
    assert ref.locations["region_code"].nunique() == 5
    assert set(ref.locations["region_code"]) <= set(ref.regions["code"])
    assert len(ref.products) == 120 and ref.products["category"].nunique() == 8
    assert ref.products["sku"].is_unique
    assert (ref.products["unit_cost_minor"] < ref.products["list_price_minor"]).all()
    assert (ref.products["unit_cost_minor"] > 0).all()


def test_output_is_identical_whatever_the_chunk_size(demo):
    again = collect(generate(N_ORDERS, SEED, END, chunk_days=45))
    for name in ("orders", "lines", "refunds", "traffic", "spend", "inventory", "touches"):
        expected = demo[name].drop(columns=["local_day", "revenue_usd"], errors="ignore")
        pd.testing.assert_frame_equal(again[name], expected, check_dtype=True)


@pytest.mark.parametrize(
    ("n_orders", "years", "days"),
    [(4_000, 1, 120), (300_000, 3, 19), (10_000_000, 3, 14), (50_000, 1, 37)],
)
def test_demo_chunks_hold_about_five_thousand_orders(n_orders, years, days):
    assert chunk_days_for(n_orders, years) == days


def test_another_seed_gives_other_data(demo):
    other = next(iter(generate(N_ORDERS, SEED + 1, END, chunk_days=30))).orders.orders
    first = demo["orders"][demo["orders"]["ordered_at"] < other["ordered_at"].max()]
    assert len(other) > 0
    assert not set(other["payload_sha256"]) & set(first["payload_sha256"])


def test_frames_have_exactly_the_batch_columns(demo):
    assert list(demo["orders"].columns[: len(ORDER_COLUMNS)]) == ORDER_COLUMNS
    for name, columns in (
        ("lines", LINE_COLUMNS),
        ("refunds", REFUND_COLUMNS),
        ("traffic", TRAFFIC_COLUMNS),
        ("spend", SPEND_COLUMNS),
        ("inventory", INVENTORY_COLUMNS),
        ("touches", TOUCH_COLUMNS),
    ):
        assert list(demo[name].columns) == columns, name
    assert str(demo["orders"]["ordered_at"].dtype) == "datetime64[ns, UTC]"
    assert str(demo["refunds"]["refunded_at"].dtype) == "datetime64[ns, UTC]"
    assert str(demo["touches"]["touched_at"].dtype) == "datetime64[ns, UTC]"
    assert demo["orders"]["payload"].isna().all()


def test_order_count_and_period(demo):
    orders = demo["orders"]
    assert abs(len(orders) - N_ORDERS) <= 0.03 * N_ORDERS
    assert orders["local_day"].min() == START
    assert orders["local_day"].max() == END


def test_chunks_are_bounded_by_their_days(demo):
    chunks = demo["chunks"]
    assert len(chunks) == -(-((END - START).days + 1) // 14)
    for chunk in chunks:
        assert (chunk.last_day - chunk.first_day).days + 1 <= 14
        assert len(chunk.orders) < 0.05 * N_ORDERS
        assert len(chunk.traffic) <= 14 * 50
    days = demo["orders"]["local_day"]
    chunk_of_order = np.repeat(np.arange(len(chunks)), [len(c.orders) for c in chunks])
    for k, chunk in enumerate(chunks):
        mine = days[chunk_of_order == k]
        assert mine.min() >= chunk.first_day and mine.max() <= chunk.last_day


def test_keys_are_unique(demo):
    orders, lines, refunds = demo["orders"], demo["lines"], demo["refunds"]
    assert not orders.duplicated(ORDER_KEY).any()
    assert not lines.duplicated([*ORDER_KEY, "line_no"]).any()
    assert not refunds.duplicated([*ORDER_KEY, "source_refund_id"]).any()
    assert orders["payload_sha256"].is_unique
    assert orders["payload_sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    systems = orders.groupby("touchpoint_code")["source_system"].unique().map(tuple).to_dict()
    assert systems["web"] == ("shopify",) and systems["physical_store"] == ("square",)
    assert systems["b2b_portal"] == ("sap",) and systems["call_center"] == ("salesforce",)


def test_lines_and_totals_reconcile_exactly(demo):
    orders, lines = demo["orders"], demo["lines"]
    assert (
        lines["line_total_minor"]
        == lines["qty"] * lines["unit_price_minor"] - lines["discount_minor"]
    ).all()
    assert (lines["qty"] > 0).all() and (lines["discount_minor"] >= 0).all()
    subtotal = lines.groupby(ORDER_KEY)["line_total_minor"].sum()
    merged = orders.join(subtotal.rename("lines_sum"), on=ORDER_KEY)
    assert (merged["subtotal_minor"] == merged["lines_sum"]).all()
    assert (
        orders["total_minor"]
        == orders["subtotal_minor"]
        - orders["discount_minor"]
        + orders["tax_minor"]
        + orders["shipping_minor"]
    ).all()
    assert (orders["discount_minor"] == 0).mean() > 0.9
    assert (lines["unit_cost_minor"] < lines["unit_price_minor"]).mean() > 0.95
    for dtype_column in ("subtotal_minor", "total_minor", "tax_minor", "source_version"):
        assert orders[dtype_column].dtype == np.int64


def test_tax_shipping_currency_and_fx(demo):
    orders = demo["orders"]
    ref = reference_data()
    currency = dict(zip(ref.regions["code"], ref.regions["currency"], strict=True))
    fx = dict(zip(ref.fx_rates["currency"], ref.fx_rates["rate"], strict=True))
    assert (orders["currency"] == orders["region_code"].map(currency)).all()
    assert (orders["fx_rate"] == orders["currency"].map(fx)).all()
    rate = orders["tax_minor"] / (orders["subtotal_minor"] - orders["discount_minor"])
    assert rate.groupby(orders["region_code"]).agg(["min", "max"]).diff(axis=1)["max"].max() < 0.01
    online = orders["touchpoint_code"].isin(["web", "mobile_app", "marketplace"])
    assert (orders.loc[online, "shipping_minor"] > 0).mean() > 0.1
    assert (orders.loc[orders["touchpoint_code"] == "physical_store", "shipping_minor"] == 0).all()


def test_places_follow_the_channel(demo):
    orders = demo["orders"]
    ref = reference_data()
    store_region = dict(zip(ref.locations["code"], ref.locations["region_code"], strict=True))
    store = orders["touchpoint_code"] == "physical_store"
    assert orders.loc[store, "location_code"].notna().all()
    assert (
        orders.loc[store, "region_code"] == orders.loc[store, "location_code"].map(store_region)
    ).all()
    assert orders.loc[~store, "location_code"].isna().all()
    assert orders["region_code"].notna().all()


def rule_touchpoint(system: str, raw: str) -> str:
    fields = dict(part.split("=", 1) for part in raw.split(";"))
    for rule_system, field, operator, value, touchpoint in DEFAULT_RULES:
        if rule_system != system or not fields.get(field):
            continue
        got = fields[field]
        if (
            (operator == "equals" and got == value)
            or (operator == "in" and got in value.split(","))
            or operator == "any"
        ):
            return touchpoint
    return "unassigned"


def test_touchpoints_follow_the_default_rules(demo):
    orders = demo["orders"]
    pairs = orders[["source_system", "touchpoint_raw", "touchpoint_code"]].drop_duplicates()
    for system, raw, code in pairs.itertuples(index=False):
        assert re.fullmatch(r"[A-Za-z_]+=[^;]+(;[A-Za-z_]+=[^;]+)*", raw)
        keys = [part.split("=")[0] for part in raw.split(";")]
        assert keys == sorted(keys)
        assert rule_touchpoint(system, raw) == code, (system, raw, code)
    assert {"source_name=iphone", "source_name=android"} <= set(pairs["touchpoint_raw"])
    assert (orders["touchpoint_code"] == "unassigned").mean() < 0.01


def test_statuses_versions_and_refunds(demo):
    orders, refunds = demo["orders"], demo["refunds"]
    assert set(orders["status"]) <= {"open", "completed", "cancelled", "refunded"}
    share = orders["status"].value_counts(normalize=True)
    assert 0.02 < share["cancelled"] < 0.04
    assert 0.035 < share["refunded"] < 0.065
    assert (orders.loc[orders["status"] == "open", "local_day"] >= END - dt.timedelta(days=1)).all()
    assert (orders["source_updated_at"] >= orders["ordered_at"]).all()
    assert (orders["source_version"] >= 1).all()
    assert (
        orders.loc[orders["status"].isin(["cancelled", "refunded"]), "source_version"] > 1
    ).all()

    merged = refunds.merge(orders, on=ORDER_KEY, how="left", validate="many_to_one")
    assert merged["status"].eq("refunded").all()
    assert len(merged) == (orders["status"] == "refunded").sum()
    assert (merged["amount_minor"] > 0).all()
    assert (merged["amount_minor"] <= merged["total_minor"]).all()
    assert (merged["amount_minor"] < merged["total_minor"]).any()
    delay = merged["refunded_at"] - merged["ordered_at"]
    assert (delay >= pd.Timedelta(days=1)).all() and (delay <= pd.Timedelta(days=31)).all()
    crossing = merged["refunded_at"].dt.month != merged["ordered_at"].dt.month
    assert crossing.any()
    horizon = pd.Timestamp(END + dt.timedelta(days=2), tz="UTC")
    assert (merged["refunded_at"] < horizon).all()


def test_payload_hash_is_reproducible_and_changes_with_the_order(demo):
    orders, lines = demo["orders"], demo["lines"]
    sample = orders.iloc[[10, 500, 5000]]

    def digest(order: pd.Series, its_lines: pd.DataFrame) -> str:
        fields = []
        for column in ORDER_COLUMNS[: ORDER_COLUMNS.index("payload")]:
            value = order[column]
            if isinstance(value, pd.Timestamp):
                value = value.value
            fields.append("" if value is None else str(value))
        blob = b"".join(
            np.array(
                [
                    (
                        r.line_no,
                        r.sku.encode(),
                        r.qty,
                        r.unit_price_minor,
                        r.discount_minor,
                        r.line_total_minor,
                        r.unit_cost_minor,
                    )
                ],
                dtype=LINE_RECORD,
            ).tobytes()
            for r in its_lines.sort_values("line_no").itertuples()
        )
        return hashlib.sha256("\x1f".join(fields).encode() + blob).hexdigest()

    for _, order in sample.iterrows():
        its_lines = lines[(lines[ORDER_KEY] == order[ORDER_KEY].to_numpy()).all(axis=1)]
        assert digest(order, its_lines) == order["payload_sha256"]
        changed = order.copy()
        changed["status"] = "cancelled" if order["status"] != "cancelled" else "completed"
        assert digest(changed, its_lines) != order["payload_sha256"]
        more = its_lines.copy()
        more.iloc[0, more.columns.get_loc("qty")] += 1
        assert digest(order, more) != order["payload_sha256"]


def test_invalid_arguments_are_refused():
    with pytest.raises(ValueError):
        generate(0, SEED, END)
    with pytest.raises(ValueError):
        generate(100, SEED, END, chunk_days=0)
