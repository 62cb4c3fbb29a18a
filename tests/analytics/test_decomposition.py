import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from analytics.decomposition import EFFECTS
from analytics.decomposition import decompose_revenue
from analytics.decomposition import decompose_target_variance
from analytics.decomposition import lmdi_effects
from analytics.decomposition import logmean
from analytics.errors import AnalyticsError


def state(rows: list[tuple[str, float, float, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["channel", "visits", "orders", "revenue"])
    return frame.astype({"visits": float, "orders": float, "revenue": float})


def by_channel(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index("channel")


def test_logmean_values_and_limits():
    assert logmean(4.0, 4.0) == 4.0
    assert logmean(math.e**2, 1.0) == pytest.approx((math.e**2 - 1) / 2)
    assert logmean(5.0, 0.0) == 0.0
    assert logmean(0.0, 0.0) == 0.0
    assert logmean(1.0 + 1e-12, 1.0) == pytest.approx(1.0, rel=1e-12)
    assert math.isnan(logmean(-1.0, 2.0))
    np.testing.assert_allclose(
        logmean(np.array([1.0, 2.0]), np.array([2.0, 2.0])), [1 / math.log(2), 2.0]
    )


def test_pure_traffic_change_is_all_traffic_effect():
    table = by_channel(
        decompose_revenue(state([("Web", 1000, 50, 5000)]), state([("Web", 1500, 75, 7500)]))
    )
    row = table.loc["Web"]
    assert row["change"] == pytest.approx(2500)
    assert row["traffic_effect"] == pytest.approx(2500)
    assert row["conversion_effect"] == pytest.approx(0, abs=1e-9)
    assert row["aov_effect"] == pytest.approx(0, abs=1e-9)


def test_pure_aov_change_is_all_aov_effect():
    table = by_channel(
        decompose_revenue(state([("Web", 1000, 50, 5000)]), state([("Web", 1000, 50, 6000)]))
    )
    row = table.loc["Web"]
    assert row[["traffic_effect", "conversion_effect"]].abs().max() < 1e-9
    assert row["aov_effect"] == pytest.approx(1000)


def test_effects_follow_the_lmdi_formula_computed_independently():
    base, current = (1000, 50, 5000), (1200, 48, 5760)
    table = by_channel(decompose_revenue(state([("Web", *base)]), state([("Web", *current)])))
    # revenue 5000 -> 5760; traffic x1.2, conversion 0.05 -> 0.04, AOV 100 -> 120
    weight = (5760 - 5000) / (math.log(5760) - math.log(5000))
    expected = [weight * math.log(1.2), weight * math.log(0.04 / 0.05), weight * math.log(1.2)]
    np.testing.assert_allclose(table.loc["Web", EFFECTS].to_numpy(dtype=float), expected)
    # The multiplicative identity the additive effects rest on.
    assert pytest.approx(5760 / 5000) == 1.2 * (0.04 / 0.05) * 1.2


amounts = st.floats(min_value=0, max_value=1e6, allow_nan=False)


@st.composite
def channel_state(draw):
    visits = draw(st.integers(min_value=0, max_value=10**6))
    orders = draw(st.integers(min_value=0, max_value=visits))
    revenue = draw(st.floats(min_value=0.01, max_value=1e8)) if orders else 0.0
    return visits, orders, round(revenue, 2)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from("ABCDEF"), channel_state(), st.booleans(), channel_state()),
        min_size=1,
        max_size=6,
    )
)
def test_effects_sum_to_the_change_for_random_inputs(rows):
    base = state([(name, *values) for name, values, _, _ in rows])
    current = state([(name, *values) for name, _, keep, values in rows if keep])
    table = decompose_revenue(base, current, total=True)
    expected = (
        current.groupby("channel")["revenue"]
        .sum()
        .sub(base.groupby("channel")["revenue"].sum(), fill_value=0)
    )
    body = table[table["status"] != "total"].set_index("channel")
    np.testing.assert_allclose(body["change"], expected.reindex(body.index), atol=0.005)
    assert (table[EFFECTS].sum(axis=1) - table["change"]).abs().max() < 0.005
    assert np.isfinite(table[EFFECTS].to_numpy(dtype=float)).all()


def test_new_and_gone_channels_put_everything_in_traffic():
    table = by_channel(
        decompose_revenue(
            state([("Web", 100, 5, 500), ("Store", 400, 40, 2000)]),
            state([("Web", 100, 5, 500), ("App", 300, 30, 900)]),
            total=True,
        )
    )
    assert table.loc["App", "status"] == "new"
    assert table.loc["App", EFFECTS].tolist() == [900, 0, 0]
    assert table.loc["Store", "status"] == "gone"
    assert table.loc["Store", EFFECTS].tolist() == [-2000, 0, 0]
    assert table.loc["Total", "change"] == pytest.approx(900 - 2000)
    assert table.loc["Total", "traffic_effect"] == pytest.approx(-1100)


def test_a_zero_factor_takes_the_whole_change():
    # Visits but no orders in the base: conversion went from zero, AOV is taken as unchanged.
    table = by_channel(decompose_revenue(state([("B2B", 50, 0, 0)]), state([("B2B", 60, 3, 900)])))
    assert table.loc["B2B", EFFECTS].tolist() == pytest.approx([0, 900, 0])
    # Orders that brought no revenue (fully discounted): AOV went to zero.
    table = by_channel(decompose_revenue(state([("Web", 10, 2, 40)]), state([("Web", 10, 2, 0)])))
    assert table.loc["Web", EFFECTS].tolist() == pytest.approx([0, 0, -40])
    # Visits with no orders in both states: nothing changed.
    table = by_channel(decompose_revenue(state([("Web", 10, 0, 0)]), state([("Web", 20, 0, 0)])))
    assert table.loc["Web", EFFECTS].tolist() == [0, 0, 0]


def test_zero_rule_is_the_limit_of_the_small_value_strategy():
    """Ang & Liu (2007): replacing zero by epsilon converges to the analytical limit."""
    base, current = np.array([[50.0, 0.0, 300.0]]), np.array([[60.0, 0.05, 300.0]])
    exact = lmdi_effects(base, current)[0]
    previous_gap = math.inf
    for epsilon in (1e-5, 1e-10, 1e-20, 1e-40):
        approx = lmdi_effects(np.where(base == 0, epsilon, base), current)[0]
        assert approx.sum() == pytest.approx(current.prod() - epsilon * 50 * 300, abs=1e-6)
        gap = np.abs(approx - exact).max()
        assert gap < previous_gap
        previous_gap = gap
    assert previous_gap < 0.05 * current.prod()


def test_inputs_that_cannot_be_factorised_are_refused():
    with pytest.raises(AnalyticsError, match="orders without visits for channel Marketplace"):
        decompose_revenue(state([("Marketplace", 0, 5, 100)]), state([("Marketplace", 0, 6, 120)]))
    with pytest.raises(AnalyticsError, match="negative"):
        decompose_revenue(state([("Web", 10, 1, -5)]), state([("Web", 10, 1, 5)]))
    with pytest.raises(AnalyticsError, match="lacks column"):
        decompose_revenue(state([("Web", 10, 1, 5)]).drop(columns="visits"), state([]))


def test_duplicate_rows_are_summed_like_a_daily_rollup():
    daily = state([("Web", 100, 5, 500), ("Web", 300, 10, 1500)])
    whole = state([("Web", 400, 15, 2000)])
    current = state([("Web", 500, 20, 2400)])
    pd.testing.assert_frame_equal(
        decompose_revenue(daily, current), decompose_revenue(whole, current)
    )


def test_target_variance_uses_the_implied_traffic_target():
    actual = state([("Web", 11000, 440, 46200), ("Store", 2000, 300, 15000)])
    target = pd.DataFrame(
        {
            "channel": ["Web", "Store"],
            "revenue_target": [50000.0, 15000.0],
            "conversion_target": [0.05, 0.15],
            "aov_target": [100.0, 50.0],
        }
    )
    table = by_channel(decompose_target_variance(actual, target, total=True))
    web = table.loc["Web"]
    assert web["revenue_target"] == 50000 and web["revenue_actual"] == 46200
    assert web["variance"] == pytest.approx(-3800)
    # Implied traffic target 50000 / (0.05 * 100) = 10000 visits.
    weight = (46200 - 50000) / math.log(46200 / 50000)
    expected = [
        weight * math.log(1.1),
        weight * math.log(0.04 / 0.05),
        weight * math.log(105 / 100),
    ]
    np.testing.assert_allclose(web[EFFECTS].to_numpy(dtype=float), expected)
    assert table.loc["Store", EFFECTS].abs().max() < 1e-9
    assert table.loc["Total", "variance"] == pytest.approx(-3800)


def test_target_variance_for_channels_missing_on_one_side():
    actual = state([("Web", 100, 10, 1000)])
    target = pd.DataFrame(
        {
            "channel": ["Store"],
            "revenue_target": [800.0],
            "conversion_target": [0.1],
            "aov_target": [80.0],
        }
    )
    table = by_channel(decompose_target_variance(actual, target))
    assert table.loc["Web", "status"] == "new"
    assert table.loc["Web", EFFECTS].tolist() == [1000, 0, 0]
    assert table.loc["Store", "status"] == "gone"
    assert table.loc["Store", EFFECTS].tolist() == [-800, 0, 0]
    with pytest.raises(AnalyticsError, match="Store"):
        decompose_target_variance(actual, target.assign(conversion_target=0.0))
