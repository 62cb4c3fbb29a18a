"""The pages' data functions agree with pandas on the demo generator's frames."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from analytics.contribution import channel_index
from analytics.contribution import revenue_waterfall
from analytics.contribution import share_over_time
from analytics.contribution import underperformers
from analytics.order_values import basket_lines
from analytics.order_values import order_values
from analytics.periods import Period
from analytics.rollup import Filters
from analytics.rollup import daily_sums
from analytics.views.contribution import build_aov
from analytics.views.overview import build_overview
from analytics.views.targets import build_targets
from analytics.views.targets import revenue_variance_effects
from analytics.views.targets import variance_table
from analytics.views.trends import build_trends
from db.engine import get_engine
from tests.pages import expected

pytestmark = pytest.mark.postgres

Q2 = Period(dt.date(2026, 4, 1), dt.date(2026, 6, 30))
Q1 = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
LEAP_MONTH = Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29))


def _close(actual: pd.Series, wanted: pd.Series, tolerance: float = 0.005) -> None:
    joined = pd.concat([actual.rename("actual"), wanted.rename("wanted")], axis=1).fillna(0.0)
    assert len(joined) > 0
    np.testing.assert_allclose(joined["actual"], joined["wanted"], atol=tolerance, rtol=0)


@pytest.mark.parametrize(
    ("filters", "by", "keep"),
    [
        (Filters(), "category", None),
        (Filters(categories=("ecommerce",)), "touchpoint_code", "ecommerce"),
    ],
)
def test_overview_kpis_and_channels_match_pandas(demo, filters, by, keep):
    overview = build_overview(Q2, filters)
    for field, span in (("value", Q2), ("prior", Q2.prior()), ("last_year", Q2.last_year())):
        revenue = expected.revenue(demo, span.start, span.end, by)
        orders = expected.order_counts(demo, span.start, span.end, by)
        if keep:
            revenue = revenue[expected.category_of(revenue.index.to_series()).to_numpy() == keep]
            orders = orders[expected.category_of(orders.index.to_series()).to_numpy() == keep]
        assert getattr(overview.kpis["revenue"], field) == pytest.approx(revenue.sum(), abs=0.01)
        assert getattr(overview.kpis["orders"], field) == orders.sum()
        assert getattr(overview.kpis["aov"], field) == pytest.approx(
            revenue.sum() / orders.sum(), rel=1e-9
        )
    channels = overview.by_channel.set_index("channel")
    now = expected.revenue(demo, Q2.start, Q2.end, by)
    _close(channels["revenue"], now.reindex(channels.index).fillna(0.0))
    ly = Q2.last_year()
    _close(
        channels["revenue_ly"],
        expected.revenue(demo, ly.start, ly.end, by).reindex(channels.index).fillna(0.0),
    )
    assert channels["share"].sum() == pytest.approx(1.0)


def test_overview_channel_bars_add_up_to_the_kpis_comparisons(demo):
    """A channel that sold in the prior period or last year but not now keeps its bars."""
    sold_before_only = 0
    for day in pd.date_range("2026-02-02", periods=12, freq="D").date:
        overview = build_overview(Period(day, day), Filters())
        channels, revenue = overview.by_channel, overview.kpis["revenue"]
        assert channels["revenue"].sum() == pytest.approx(revenue.value, abs=0.01)
        assert channels["revenue_prior"].sum() == pytest.approx(revenue.prior, abs=0.01)
        assert channels["revenue_ly"].sum() == pytest.approx(revenue.last_year, abs=0.01)
        assert channels["channel_name"].notna().all()
        sold_before_only += int(
            ((channels["revenue"] == 0) & (channels["revenue_prior"] > 0)).sum()
        )
    assert sold_before_only > 0


@pytest.mark.parametrize(
    ("period", "base", "level", "filters"),
    [
        (Q2, Q1, "category", Filters()),
        (LEAP_MONTH, Period(dt.date(2024, 1, 3), dt.date(2024, 1, 31)), "touchpoint", Filters()),
        (Q2, Q2.last_year(), "touchpoint", Filters(categories=("ecommerce",))),
    ],
)
def test_waterfall_revenue_matches_pandas(demo, period, base, level, filters):
    by = "category" if level == "category" else "touchpoint_code"
    table = revenue_waterfall(period, base, level, filters).set_index("channel")
    now = expected.revenue(demo, period.start, period.end, by)
    before = expected.revenue(demo, base.start, base.end, by)
    if filters.categories:
        keep = [
            c
            for c in now.index.union(before.index)
            if expected.category_of(pd.Series([c]))[0] in filters.categories
        ]
        now, before = now.reindex(keep).dropna(), before.reindex(keep).dropna()
    _close(table["revenue_current"], now)
    _close(table["revenue_base"], before)
    assert table["change"].sum() == pytest.approx(now.sum() - before.sum(), abs=0.01)


def test_monthly_shares_are_percent_of_gross_sales(demo):
    period = Period(dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    shares = share_over_time(period, "category")
    for month_start, group in shares.groupby("bucket"):
        start = month_start.date()
        end = (month_start + pd.offsets.MonthEnd(0)).date()
        sales = expected.sales(demo, start, end, "category")
        _close(group.set_index("channel")["share"], sales / sales.sum(), 1e-9)
        assert group["share"].sum() == pytest.approx(1.0)


def test_daily_series_and_month_on_month_match_pandas(demo):
    period = Period(dt.date(2025, 7, 1), dt.date(2026, 6, 30))
    sums = daily_sums(period, "touchpoint")
    day = dt.date(2026, 3, 14)
    on_day = sums[sums["day"] == day].set_index("touchpoint")
    _close(on_day["revenue"], expected.revenue(demo, day, day, "touchpoint_code"))
    _close(on_day["orders"], expected.order_counts(demo, day, day, "touchpoint_code"), 0)

    view = build_trends(period, "category", metrics=("revenue", "orders", "aov"))
    assert view.month == Period(dt.date(2026, 6, 1), dt.date(2026, 6, 30))
    june = expected.revenue(demo, dt.date(2026, 6, 1), dt.date(2026, 6, 30), "category")
    may = expected.revenue(demo, dt.date(2026, 5, 1), dt.date(2026, 5, 31), "category")
    june_ly = expected.revenue(demo, dt.date(2025, 6, 1), dt.date(2025, 6, 30), "category")
    revenue = view.table[view.table["metric"] == "revenue"].set_index("channel")
    for channel in ("ecommerce", "wholesale", "physical_retail"):
        assert revenue.loc[channel, "mom"] == pytest.approx(
            (june[channel] / may[channel] - 1) * 100
        )
        assert revenue.loc[channel, "yoy"] == pytest.approx(
            (june[channel] / june_ly[channel] - 1) * 100
        )
    year = expected.revenue(demo, period.start, period.end, "category")
    _close(revenue["value"], year)
    orders = expected.order_counts(demo, period.start, period.end, "category")
    aov = view.table[view.table["metric"] == "aov"].set_index("channel")["value"]
    _close(aov, year / orders, 1e-6)
    sparkline = revenue.loc["ecommerce", "sparkline"]
    assert len(sparkline) == 26
    last_week = Period(dt.date(2026, 6, 22), dt.date(2026, 6, 28))
    assert sparkline[-1] == pytest.approx(
        expected.revenue(demo, last_week.start, last_week.end, "category")["ecommerce"]
    )


def test_channel_index_is_channel_over_all_channels(demo):
    index = channel_index(Q1, "category", metrics=("aov", "conversion_rate"))
    revenue = expected.revenue(demo, Q1.start, Q1.end, "category")
    orders = expected.order_counts(demo, Q1.start, Q1.end, "category")
    aov = index[index["metric"] == "aov"].set_index("channel")
    overall = revenue.sum() / orders.sum()
    _close(aov["value"], revenue / orders, 1e-6)
    _close(aov["index"], revenue / orders / overall * 100, 1e-6)
    values = (revenue / orders).reindex(aov.index)
    _close(aov["zscore"], (values - values.mean()) / values.std(ddof=0), 1e-6)


def test_variance_against_the_demo_targets(demo):
    table = variance_table(Q1, "category")
    revenue = table[table["metric"] == "revenue"].set_index("channel")
    actual = expected.revenue(demo, Q1.start, Q1.end, "category")
    targets = (
        demo.targets[
            (demo.targets["metric"] == "revenue")
            & (pd.to_datetime(demo.targets["period_start"]).dt.date == Q1.start)
        ]
        .set_index("scope_code")["value"]
        .astype(float)
    )
    _close(revenue["actual"].drop("total"), actual)
    assert revenue.loc["total", "actual"] == pytest.approx(actual.sum(), abs=0.01)
    for channel in ("ecommerce", "wholesale", "physical_retail", "direct_sales"):
        row = revenue.loc[channel]
        assert row["target"] == pytest.approx(targets[channel])
        assert row["variance"] == pytest.approx(actual[channel] - targets[channel], abs=0.01)
        assert row["variance_pct"] == pytest.approx(
            (actual[channel] / targets[channel] - 1) * 100, abs=1e-6
        )
        gap = actual[channel] / targets[channel] - 1
        assert row["status"] == ("green" if gap >= 0 else "amber" if gap >= -0.05 else "red")
    assert revenue.loc["total", "target"] == pytest.approx(targets["total"])
    margin = table[table["metric"] == "margin_pct"]
    assert (margin["below_threshold"] == (margin["actual"] < margin["target"])).all()


@pytest.mark.parametrize("period", [Q1, Q2, Period(dt.date(2025, 11, 15), dt.date(2026, 2, 14))])
def test_variance_effects_add_up_within_a_cent(demo, period):
    effects = revenue_variance_effects(period, "category")
    assert len(effects) >= 2
    summed = effects[["traffic_effect", "conversion_effect", "aov_effect"]].sum(axis=1)
    assert (summed - effects["variance"]).abs().max() < 0.01
    rows = effects[effects["status"] != "total"].set_index("channel")
    actual = expected.revenue(demo, period.start, period.end, "category")
    _close(rows["revenue_actual"], actual.reindex(rows.index))
    assert (rows["revenue_actual"] - rows["revenue_target"] - rows["variance"]).abs().max() < 0.01


@pytest.mark.parametrize(
    ("level", "filters", "whole"),
    [
        ("category", Filters(touchpoints=("web",)), False),
        ("category", Filters(regions=("us",)), False),
        ("touchpoint", Filters(locations=("nyc-5th",)), False),
        ("category", Filters(categories=("ecommerce", "wholesale")), True),
        ("touchpoint", Filters(categories=("ecommerce",)), True),
        ("touchpoint", Filters(touchpoints=("web",)), True),
    ],
)
def test_targets_are_compared_only_with_whole_channels(demo, level, filters, whole):
    """A slice of a channel (its web touchpoint, one region) is not measured against the whole
    channel's target; choosing which whole channels to show is. (The demo's targets are set
    per category.)"""
    view = build_targets(Q1, level, filters)
    rows = view.variance[view.variance["channel"] != "total"]
    assert len(rows) > 0
    shown = whole and level == "category"
    assert rows["target"].notna().any() == shown
    assert (rows["status"] != "none").any() == shown
    assert view.effects.empty != shown
    assert view.partial_channels != whole


@pytest.mark.parametrize("period", [Q1, Q2, Period(dt.date(2025, 11, 15), dt.date(2026, 2, 14))])
def test_conversion_and_aov_effects_agree_with_their_rows(demo, period):
    """Each effect has the sign of its metric's gap to target, opportunity-based channels
    (conversion = won deals ÷ opportunities) included."""
    table = variance_table(period, "category").set_index(["channel", "metric"])
    effects = revenue_variance_effects(period, "category")
    rows = effects[effects["status"] != "total"].set_index("channel")
    assert {"wholesale", "direct_sales"} <= set(rows.index)
    for channel, row in rows.iterrows():
        for metric, effect in (("conversion_rate", "conversion_effect"), ("aov", "aov_effect")):
            gap = table.loc[(channel, metric), "variance"]
            assert np.sign(row[effect]) == np.sign(gap), (channel, metric, gap, row[effect])


def test_underperformers_flag_channels_below_target_share(demo):
    table = underperformers(Q1, "category").set_index("channel")
    actual = expected.revenue(demo, Q1.start, Q1.end, "category")
    targets = (
        demo.targets[
            (demo.targets["metric"] == "revenue")
            & (demo.targets["scope_type"] == "category")
            & (pd.to_datetime(demo.targets["period_start"]).dt.date == Q1.start)
        ]
        .set_index("scope_code")["value"]
        .astype(float)
    )
    _close(table["revenue"], actual.reindex(table.index))
    sales = expected.sales(demo, Q1.start, Q1.end, "category")
    _close(table["share"], sales.reindex(table.index) / sales.sum())
    share = sales[targets.index] / sales[targets.index].sum()
    target_share = targets / targets.sum()
    _close(table["share_of_targeted"].dropna(), share)
    _close(table["target_share"].dropna(), target_share)
    below = (share - target_share) < 0
    assert below.any()
    assert (table.loc[below.index, "below_target_share"] == below).all()
    assert table.loc[below[below].index, "underperforming"].all()
    for channel, gap in (share - target_share)[below].items():
        shown = f"{abs(gap) * 100:.1f}"
        sign = "±" if float(shown) == 0 else "−"
        assert table.at[channel, "reason"].startswith(f"share {sign}{shown} pp vs target share")


def _stored_orders(url: str) -> pd.DataFrame:
    """Every stored order's id, touchpoint, day, status and value, read with plain SQL."""
    query = text(
        "SELECT o.id, t.code AS touchpoint, coalesce(r.code, 'none') AS region, "
        "o.order_day AS day, o.status, CAST(o.revenue_base AS float) AS order_value "
        "FROM sales_order o JOIN touchpoint t ON t.id = o.touchpoint_id "
        "LEFT JOIN region r ON r.id = o.region_id"
    )
    with get_engine(url).connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all())


def _first_slots_histogram(url: str, by: str, limit: int) -> pd.DataFrame:
    """Each ``by`` channel's live Q2 orders in its first hash slots, binned: the sample
    ``order_values`` should read, computed from the stored orders in pandas."""
    stored = _stored_orders(url)
    stored = stored[
        (stored["status"] != "cancelled") & (stored["day"] >= Q2.start) & (stored["day"] <= Q2.end)
    ]
    slot = (stored["id"] * 40503 % 65536) // 64
    counts = stored.groupby(by).size()
    first_slots = np.minimum(1024, np.ceil(1024 * limit / counts)).astype(int)
    chosen = stored[slot < stored[by].map(first_slots)]
    chosen = chosen.assign(bin=np.round(np.log(chosen["order_value"]) * 200))
    return chosen.groupby([by, "bin"])["order_value"].agg(["size", "sum"])


def test_order_value_sample_of_regions_bounds_each_regions_orders(demo):
    """By region, a touchpoint's orders span several channels, each with its own slot bound."""
    sample = order_values(Q2, "region", limit=30)
    wanted = _first_slots_histogram(demo.url, "region", 30)
    mine = sample.assign(bin=np.round(np.log(sample["order_value"]) * 200)).set_index(
        ["channel", "bin"]
    )
    assert sample["channel"].nunique() > 3
    assert mine["orders"].to_dict() == wanted["size"].to_dict()
    _close(mine["revenue"], wanted["sum"], 1e-6)


def test_order_value_sample_is_each_channels_first_hash_slots_binned(demo):
    values = order_values(Q2, "touchpoint")
    live = expected.orders(demo)
    live = live[
        (live["status"] != "cancelled") & (live["day"] >= Q2.start) & (live["day"] <= Q2.end)
    ]
    means = (live["cents"] / 100).groupby(live["touchpoint_code"]).mean()
    by_channel = values.groupby("channel")[["orders", "revenue"]].sum()
    _close(by_channel["revenue"] / by_channel["orders"], means, 1e-6)

    small = order_values(Q2, "touchpoint", limit=30)
    pd.testing.assert_frame_equal(small, order_values(Q2, "touchpoint", limit=30))
    # Without the revenue sums (as the AOV view reads it): the same orders in the same bins.
    pd.testing.assert_frame_equal(
        small.drop(columns="revenue"),
        order_values(Q2, "touchpoint", limit=30, with_revenue=False),
    )
    wanted = _first_slots_histogram(demo.url, "touchpoint", 30)
    for channel, histogram in wanted.groupby(level=0):
        mine = small[small["channel"] == channel]
        bins = histogram.index.get_level_values("bin").tolist()
        assert np.round(np.log(mine["order_value"]) * 200).tolist() == bins
        assert mine["orders"].tolist() == histogram["size"].tolist(), channel
        assert mine["revenue"].tolist() == pytest.approx(histogram["sum"].tolist()), channel
    sizes = small.groupby("channel")["orders"].sum()
    counts = live.groupby("touchpoint_code").size()
    assert set(sizes.index) == set(counts.index)
    whole = counts <= 30
    assert (sizes[whole] == counts[whole]).all(), sizes
    assert sizes[~whole].between(10, 90).all(), sizes


@pytest.mark.parametrize(
    ("level", "by", "filters", "kept"),
    [
        # Summed over places: answered from the channel basket rollup.
        ("touchpoint", "touchpoint_code", Filters(categories=("ecommerce",)), "ecommerce"),
        # By region: answered from the basket rollup itself.
        ("region", "region", Filters(), None),
    ],
)
def test_basket_lines_per_level_are_the_order_lines_units(demo, level, by, filters, kept):
    lines = basket_lines(Q2, level, filters).set_index(["channel", "product_category"])
    units = expected.units_by_product_category(demo, Q2.start, Q2.end, by)
    if kept:
        touchpoints = pd.Series(units.index.get_level_values(0))
        units = units[(expected.category_of(touchpoints) == kept).to_numpy()]
    assert len(units) > 10
    _close(lines["units"], units, 0)


def test_basket_lines_and_aov_flags(demo):
    lines = basket_lines(Q2, "category")
    units = expected.units_by_product_category(demo, Q2.start, Q2.end, "category")
    _close(lines.set_index(["channel", "product_category"])["units"], units, 0)
    orders = expected.order_counts(demo, Q2.start, Q2.end, "category")
    _close(
        lines.groupby("channel")["orders"].sum(), orders.reindex(lines["channel"].unique()), 1e-6
    )
    view = build_aov(Q2, "category", compare="yoy")
    flags = view.flags.set_index("channel")
    assert view.baseline == Q2.last_year()
    _close(flags["orders_current"], orders.reindex(flags.index).fillna(0), 0)
    # Tested on a sample of about 30 orders a channel, shown for every order.
    sampled = build_aov(Q2, "category", compare="yoy", limit=30).flags.set_index("channel")
    live = expected.orders(demo)
    live = live[
        (live["status"] != "cancelled") & (live["day"] >= Q2.start) & (live["day"] <= Q2.end)
    ]
    _close(sampled["orders_current"], orders.reindex(sampled.index).fillna(0), 0)
    # The AOV shown is the metric's, net of refunds as on the Overview; only the tests sample.
    revenue = expected.revenue(demo, Q2.start, Q2.end, "category")
    _close(sampled["aov_current"], (revenue / orders).reindex(sampled.index), 1e-6)
    assert not np.allclose(
        sampled["aov_current"], (live["cents"] / 100).groupby(live["category"]).mean()
    )
    assert (sampled["p_baseline"] > flags["p_baseline"]).sum() >= 3
    drivers = view.drivers.set_index("channel")
    parts = drivers["units_per_order_effect"] + drivers["price_per_unit_effect"]
    assert (parts - drivers["aov_change"]).abs().max() < 1e-6
