"""The demo generator: determinism, order economics and the realism the analytics rely on.

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

from ingestion.batch import (
    INVENTORY_COLUMNS,
    LINE_COLUMNS,
    ORDER_COLUMNS,
    ORDER_KEY,
    REFUND_COLUMNS,
    SPEND_COLUMNS,
    TOUCH_COLUMNS,
    TRAFFIC_COLUMNS,
)
from ingestion.demo import (
    INJECTED_ANOMALIES,
    TRENDS,
    generate,
    generate_targets,
    reference_data,
)

N_ORDERS = 30_000
BUSY_ORDERS = 150_000
SEED = 11
END = dt.date(2025, 6, 30)
START = dt.date(2022, 7, 1)
TIMEZONES = {
    "us": "America/New_York",
    "ca": "America/Toronto",
    "uk": "Europe/London",
    "de": "Europe/Berlin",
    "fr": "Europe/Paris",
}
EXPECTED_SHARE = {
    "web": 0.35,
    "mobile_app": 0.20,
    "marketplace": 0.08,
    "physical_store": 0.25,
    "b2b_portal": 0.07,
    "sales_rep": 0.03,
    "call_center": 0.02,
}
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


def collect(chunks) -> dict[str, pd.DataFrame]:
    chunks = list(chunks)
    tables = {
        "orders": [c.orders.orders for c in chunks],
        "lines": [c.orders.lines for c in chunks],
        "refunds": [c.orders.refunds for c in chunks],
        "traffic": [c.traffic for c in chunks],
        "spend": [c.spend for c in chunks],
        "inventory": [c.inventory for c in chunks],
        "touches": [c.touches for c in chunks],
    }
    result = {name: pd.concat(frames, ignore_index=True) for name, frames in tables.items()}
    result["chunks"] = chunks
    return result


@pytest.fixture(scope="module")
def demo() -> dict[str, pd.DataFrame]:
    data = collect(generate(N_ORDERS, SEED, END))
    add_local_day(data["orders"])
    return data


def add_local_day(orders: pd.DataFrame) -> None:
    """The order's calendar day in its region, and its revenue (total less tax) in USD."""
    local_day = pd.Series(index=orders.index, dtype=object)
    for region, tz in TIMEZONES.items():
        mine = orders["region_code"] == region
        local_day[mine] = orders.loc[mine, "ordered_at"].dt.tz_convert(tz).dt.date
    orders["local_day"] = local_day
    orders["revenue_usd"] = (orders["total_minor"] - orders["tax_minor"]) * orders["fx_rate"] / 100


@pytest.fixture(scope="module")
def busy() -> dict[str, pd.DataFrame]:
    """One dense year, for effects that need more than a few orders a day to be seen."""
    data = collect(generate(BUSY_ORDERS, SEED, END, years=1, chunk_days=30))
    add_local_day(data["orders"])
    return data


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


def test_channel_mix_and_trends(demo):
    orders = demo["orders"]
    share = orders["touchpoint_code"].value_counts(normalize=True)
    for touchpoint, expected in EXPECTED_SHARE.items():
        assert abs(share[touchpoint] - expected) < 0.015, touchpoint
    first = orders[orders["local_day"] < dt.date(2023, 7, 1)]["touchpoint_code"]
    last = orders[orders["local_day"] >= dt.date(2024, 7, 1)]["touchpoint_code"]
    first_share, last_share = first.value_counts(normalize=True), last.value_counts(normalize=True)
    assert last_share["mobile_app"] > first_share["mobile_app"] * 1.3
    assert last_share["call_center"] < first_share["call_center"] * 0.8
    assert TRENDS["mobile_app"]["orders_growth_per_year"] > 0
    assert TRENDS["call_center"]["orders_growth_per_year"] < 0


def test_b2b_is_few_large_orders(demo):
    orders, lines = demo["orders"], demo["lines"]
    line_counts = lines.groupby(ORDER_KEY).size().rename("n_lines")
    orders = orders.join(line_counts, on=ORDER_KEY)
    b2b = orders["touchpoint_code"] == "b2b_portal"
    assert orders.loc[b2b, "n_lines"].between(3, 10).all()
    assert (
        orders.loc[~b2b & (orders["touchpoint_code"] != "sales_rep"), "n_lines"].between(1, 4).all()
    )
    b2b_lines = lines["source_system"] == "sap"
    assert lines.loc[b2b_lines, "qty"].between(5, 200).all()
    aov = orders.groupby("touchpoint_code")["revenue_usd"].mean()
    assert aov["b2b_portal"] > 5 * aov["web"]


def test_weekly_pattern(demo):
    orders = demo["orders"]
    weekday = pd.to_datetime(orders["local_day"]).dt.weekday
    for touchpoint in ("b2b_portal", "sales_rep"):
        mine = orders["touchpoint_code"] == touchpoint
        assert (weekday[mine] >= 5).mean() < 0.02, touchpoint
    stores = weekday[orders["touchpoint_code"] == "physical_store"].value_counts()
    assert stores.idxmax() == 5  # Saturday


def test_yearly_seasonality_and_holidays(demo):
    orders = demo["orders"]
    day = pd.to_datetime(orders["local_day"])
    daily = orders.groupby(day)["revenue_usd"].sum()
    consumer = orders[~orders["touchpoint_code"].isin(["b2b_portal", "sales_rep"])]
    consumer_daily = consumer.groupby(pd.to_datetime(consumer["local_day"]))["revenue_usd"].sum()
    for series in (daily, consumer_daily):
        peak = series[series.index.month.isin([11, 12])].mean()
        summer = series[series.index.month.isin([6, 7])].mean()
        assert peak > 1.2 * summer
    stores = orders[orders["touchpoint_code"] == "physical_store"]
    christmas = stores["local_day"].map(lambda d: (d.month, d.day) == (12, 25))
    assert not christmas.any()


def test_black_friday_spikes_online_orders(busy):
    orders = busy["orders"]
    online = orders[orders["touchpoint_code"].isin(["web", "mobile_app", "marketplace"])]
    daily = online.groupby(pd.to_datetime(online["local_day"])).size()
    november = daily[(daily.index.month == 11) & (daily.index.year == 2024)]
    assert november.idxmax() in (pd.Timestamp("2024-11-29"), pd.Timestamp("2024-12-02"))
    assert daily[pd.Timestamp("2024-11-29")] > 2 * november.median()
    assert daily[pd.Timestamp("2024-12-02")] > 2 * november.median()  # Cyber Monday


def test_injected_anomalies_are_visible(busy):
    orders = busy["orders"]
    counts = orders.groupby(["touchpoint_code", "local_day"]).size()
    for anomaly in INJECTED_ANOMALIES:
        assert anomaly["kind"] in ("spike", "drop")
        assert (anomaly["kind"] == "spike") == (anomaly["factor"] > 1)
    web_outage = next(a for a in INJECTED_ANOMALIES if a["touchpoint_code"] == "web")
    day = END + dt.timedelta(days=web_outage["day"])
    same_weekdays = [day + dt.timedelta(weeks=k) for k in (-3, -2, -1, 1, 2, 3)]
    normal = np.mean([counts.get(("web", d), 0) for d in same_weekdays])
    assert counts.get(("web", day), 0) < 0.5 * normal
    app_days = [
        END + dt.timedelta(days=a["day"])
        for a in INJECTED_ANOMALIES
        if a["touchpoint_code"] == "mobile_app"
    ]
    assert len(app_days) == 2 and all((END - d).days < 90 for d in app_days)
    broken = sum(counts.get(("mobile_app", d), 0) for d in app_days)
    weeks_before = (
        sum(
            counts.get(("mobile_app", d - dt.timedelta(weeks=k)), 0)
            for d in app_days
            for k in (1, 2, 3)
        )
        / 3
    )
    assert broken < 0.6 * weeks_before
    spike = next(a for a in INJECTED_ANOMALIES if a["touchpoint_code"] == "marketplace")
    day = END + dt.timedelta(days=spike["day"])
    usual = np.mean(
        [
            counts.get(("marketplace", d), 0)
            for d in (day + dt.timedelta(weeks=k) for k in (-3, -2, -1, 1, 2, 3))
        ]
    )
    assert counts.get(("marketplace", day), 0) > 1.5 * usual


def test_price_elasticity_is_negative_in_every_channel(busy):
    orders, lines = busy["orders"], busy["lines"]
    live = orders[orders["status"] != "cancelled"]
    lines = lines.merge(live[[*ORDER_KEY, "touchpoint_code", "fx_rate", "local_day"]], on=ORDER_KEY)
    lines["month"] = pd.to_datetime(lines["local_day"]).dt.to_period("M")
    lines["usd"] = lines["line_total_minor"] * lines["fx_rate"]
    for touchpoint in EXPECTED_SHARE:
        mine = lines[lines["touchpoint_code"] == touchpoint]
        cells = mine.groupby(["sku", "month"]).agg(
            units=("qty", "sum"), usd=("usd", "sum"), lines=("qty", "size")
        )
        cells = cells.reset_index()
        cells["y"] = np.log(cells["units"])
        cells["x"] = np.log(cells["usd"] / cells["units"])
        weight = cells["lines"]
        # Weighted two-way fixed effects (SKU, month) by alternating demeaning.
        for _ in range(30):
            for fixed in ("sku", "month"):
                total = weight.groupby(cells[fixed]).transform("sum")
                for v in ("x", "y"):
                    cells[v] -= (cells[v] * weight).groupby(cells[fixed]).transform("sum") / total
        slope = (weight * cells["x"] * cells["y"]).sum() / (weight * cells["x"] ** 2).sum()
        # Sparse SKU-months bias the estimate toward zero; its sign is what must hold.
        assert slope < 0, (touchpoint, slope)
        if touchpoint in ("web", "mobile_app"):
            assert slope < -0.5, (touchpoint, slope)


def test_spend_has_diminishing_returns(demo):
    orders, spend = demo["orders"], demo["spend"]
    web_spend = spend[spend["touchpoint_code"] == "web"]
    usd = (web_spend["spend_minor"] * web_spend["fx_rate"] / 100).groupby(web_spend["day"]).sum()
    days = pd.Index([START + dt.timedelta(days=k) for k in range((END - START).days + 1)])
    usd = usd.reindex(days, fill_value=0.0)
    web = orders[orders["touchpoint_code"] == "web"].groupby("local_day").size()
    y = web.reindex(days, fill_value=0).to_numpy(float)
    s = usd.to_numpy() / usd.mean()
    when = pd.to_datetime(pd.Series(days))
    controls = pd.get_dummies(
        pd.DataFrame({"dow": when.dt.weekday, "month": when.dt.to_period("M")}).astype(str),
        drop_first=True,
    ).to_numpy(float)
    design = np.column_stack([np.ones_like(s), s, s**2, controls])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    linear, curvature = coef[1], coef[2]
    assert linear > 0 and curvature < 0
    low, high = np.quantile(s, [0.1, 0.9])
    assert linear + 2 * curvature * high < linear + 2 * curvature * low
    assert set(spend.groupby("touchpoint_code")["campaign"].nunique()) <= {2, 3}
    assert {"web", "mobile_app", "marketplace", "sales_rep"} == set(spend["touchpoint_code"])


def test_traffic_denominators(demo):
    orders, traffic = demo["orders"], demo["traffic"]
    for column in ("sessions", "footfall", "opportunities", "opportunities_won"):
        assert traffic[column].dtype == np.int64
    online = traffic["touchpoint_code"].isin(["web", "mobile_app", "marketplace"])
    stores = traffic["touchpoint_code"] == "physical_store"
    deals = ~online & ~stores
    assert traffic.loc[online, "location_code"].isna().all()
    assert traffic.loc[online, "region_code"].notna().all()
    assert traffic.loc[stores, "location_code"].notna().all()
    assert (traffic.loc[~online, "sessions"] == 0).all()
    assert (traffic.loc[~stores, "footfall"] == 0).all()
    assert (traffic.loc[~deals, ["opportunities", "opportunities_won"]] == 0).all().all()
    assert not traffic.duplicated(
        ["day", "touchpoint_code", "region_code", "location_code", "source_system"]
    ).any()

    def conversion(touchpoint, column, when=None):
        rows = traffic[traffic["touchpoint_code"] == touchpoint]
        got = orders[orders["touchpoint_code"] == touchpoint]
        if when is not None:
            rows = rows[when(rows["day"])]
            got = got[when(got["local_day"])]
        return len(got) / rows[column].sum()

    assert 0.02 <= conversion("web", "sessions") <= 0.03
    assert 0.015 <= conversion("mobile_app", "sessions") <= 0.025
    first_year = conversion("mobile_app", "sessions", lambda d: d < dt.date(2023, 7, 1))
    last_year = conversion("mobile_app", "sessions", lambda d: d >= dt.date(2024, 7, 1))
    assert last_year > first_year * 1.2
    assert 0.2 <= conversion("physical_store", "footfall") <= 0.3

    deal_orders = orders[orders["touchpoint_code"].isin(["b2b_portal", "sales_rep", "call_center"])]
    won = deal_orders.groupby(["local_day", "touchpoint_code", "region_code"]).size()
    reported = traffic[deals].set_index(["day", "touchpoint_code", "region_code"])[
        "opportunities_won"
    ]
    pd.testing.assert_series_equal(
        reported[reported > 0].sort_index(),
        won.sort_index(),
        check_names=False,
        check_index_type=False,
    )
    win_rate = (
        traffic.loc[deals, "opportunities_won"].sum() / traffic.loc[deals, "opportunities"].sum()
    )
    assert 0.2 < win_rate < 0.3


def test_customers_repeat_and_stay_in_their_region(demo):
    orders = demo["orders"]
    known = orders[orders["customer_key"].notna()]
    assert known["customer_key"].str.fullmatch(r"[0-9a-f]{32}").all()
    assert (known.groupby("customer_key")["region_code"].nunique() == 1).all()
    consumers = known[~known["touchpoint_code"].isin(["b2b_portal", "sales_rep"])]
    later = consumers[consumers["local_day"] > START + dt.timedelta(days=30)]
    seen = consumers["customer_key"].duplicated()[later.index]
    assert 0.3 < seen.mean() < 0.5
    anonymous = orders["customer_key"].isna()
    assert set(orders.loc[anonymous, "touchpoint_code"]) == {"physical_store"}


def test_journeys_end_in_their_order(demo):
    orders, touches = demo["orders"], demo["touches"]
    assert not touches.duplicated(["customer_key", "touched_at", "touchpoint_code"]).any()
    last = touches[touches["source_order_id"].notna()]
    merged = last.merge(orders, on=["source_system", "source_order_id"], suffixes=("", "_order"))
    assert len(merged) == len(last)
    assert (merged["customer_key"] == merged["customer_key_order"]).all()
    assert (merged["touchpoint_code"] == merged["touchpoint_code_order"]).all()
    assert (merged["touched_at"] <= merged["ordered_at"]).all()
    eligible = orders["touchpoint_code"].isin(
        ["web", "mobile_app", "marketplace", "physical_store"]
    )
    share = len(last) / (eligible & orders["customer_key"].notna()).sum()
    assert 0.17 < share < 0.23
    journey = (touches["source_order_id"].notna()).iloc[::-1].cumsum().iloc[::-1]
    lengths = touches.groupby(journey).size()
    assert lengths.between(1, 5).all() and lengths.max() == 5
    per_customer = touches.groupby(journey)["customer_key"].nunique()
    assert (per_customer == 1).all()
    assert touches.groupby(journey)["touchpoint_code"].nunique().max() > 1
    assert touches.groupby(journey)["device"].nunique().max() > 1


def test_inventory_depletes_and_runs_out_sometimes(demo):
    inventory = demo["inventory"]
    days = sorted(inventory["day"].unique())
    assert len(days) == 120 and days[-1] == END
    ref = reference_data()
    assert inventory.groupby("day").size().eq(40 * len(ref.locations)).all()
    assert set(inventory["location_code"]) == set(ref.locations["code"])
    assert (inventory["on_hand"] >= 0).all() and (inventory["on_order"] >= 0).all()
    assert (inventory["on_hand"] == 0).any()
    typical = inventory.groupby(["sku", "location_code"])["on_hand"].mean()
    assert typical.max() > 5 * typical.median()
    moving = inventory.sort_values("day").groupby(["sku", "location_code"])["on_hand"].nunique()
    assert (moving > 1).mean() > 0.5


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
        record = np.dtype(
            [
                ("line_no", "<i8"),
                ("sku", "S32"),
                ("qty", "<i8"),
                ("unit_price", "<i8"),
                ("discount", "<i8"),
                ("line_total", "<i8"),
                ("unit_cost", "<i8"),
            ]
        )
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
                dtype=record,
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


def test_targets_cover_every_quarter_and_scope(demo):
    targets = generate_targets(N_ORDERS, SEED, END)
    assert list(targets.columns) == [
        "scope_type",
        "scope_code",
        "metric",
        "period_start",
        "period_end",
        "value",
    ]
    scopes = set(zip(targets["scope_type"], targets["scope_code"], strict=True))
    assert scopes == {
        ("category", c) for c in ("ecommerce", "physical_retail", "wholesale", "direct_sales")
    } | {("total", "total")}
    assert set(targets["metric"]) == {"revenue", "conversion_rate", "aov", "margin_pct"}
    assert targets["period_start"].min() == dt.date(2022, 7, 1)
    assert targets["period_end"].max() == dt.date(2025, 9, 30)  # the quarter after END's
    assert not targets.duplicated(["scope_type", "scope_code", "metric", "period_start"]).any()

    orders = demo["orders"]
    live = orders[orders["status"] != "cancelled"].copy()
    live["quarter_start"] = (
        pd.to_datetime(live["local_day"]).dt.to_period("Q").dt.start_time.dt.date
    )
    category = {
        "web": "ecommerce",
        "mobile_app": "ecommerce",
        "marketplace": "ecommerce",
        "physical_store": "physical_retail",
        "b2b_portal": "wholesale",
        "sales_rep": "direct_sales",
        "call_center": "direct_sales",
    }
    live["category"] = live["touchpoint_code"].map(category)
    actual = live.groupby(["category", "quarter_start"])["revenue_usd"].sum()
    revenue = targets[(targets["metric"] == "revenue") & (targets["scope_type"] == "category")]
    ratios = {}
    for row in revenue.itertuples():
        if row.period_end <= END:
            ratio = float(row.value) / actual[(row.scope_code, row.period_start)]
            # Wholesale baskets are heavy-tailed: one quarter of a small demo is noisy.
            assert 0.5 < ratio < 2.0, (row.scope_code, row.period_start, ratio)
            ratios.setdefault(row.scope_code, []).append(ratio)
    mean_ratio = {code: np.mean(r) for code, r in ratios.items()}
    assert all(0.85 < r < 1.15 for r in mean_ratio.values()), mean_ratio
    assert min(mean_ratio.values()) < 0.98 and max(mean_ratio.values()) > 1.02
    margins = targets[targets["metric"] == "margin_pct"]["value"].astype(float)
    conversions = targets[targets["metric"] == "conversion_rate"]["value"].astype(float)
    assert margins.between(0.05, 0.8).all() and conversions.between(0.005, 0.5).all()


def test_invalid_arguments_are_refused():
    with pytest.raises(ValueError):
        generate(0, SEED, END)
    with pytest.raises(ValueError):
        generate(100, SEED, END, chunk_days=0)
