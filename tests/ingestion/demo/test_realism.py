"""The demo data's realism that the analytics rely on: channel mix and trends, weekly and yearly
patterns, the injected anomalies, price elasticity, spend response, traffic, customers,
journeys and inventory, each recomputed from the generated frames with plain pandas / numpy.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ingestion.batch import ORDER_KEY
from ingestion.demo import INJECTED_ANOMALIES
from ingestion.demo import TRENDS
from ingestion.demo import reference_data
from tests.ingestion.demo.frames import END
from tests.ingestion.demo.frames import EXPECTED_SHARE
from tests.ingestion.demo.frames import START


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
    weekday = pd.to_datetime(orders["local_day"]).dt.day_of_week
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
        pd.DataFrame({"dow": when.dt.day_of_week, "month": when.dt.to_period("M")}).astype(str),
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
