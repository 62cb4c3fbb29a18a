import numpy as np
import pandas as pd
import pytest
from scipy.stats import mannwhitneyu

from analytics.aov import BASKET_EFFECTS
from analytics.aov import aov_deviation_flags
from analytics.aov import basket_drivers
from analytics.errors import AnalyticsError


def orders(rng, channel: str, count: int, scale: float = 1.0) -> pd.DataFrame:
    return pd.DataFrame({"channel": channel, "order_value": rng.lognormal(4, 0.5, count) * scale})


def order_samples(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    sizes = {"Web": 3000, "App": 3000, "Store": 3000, "Marketplace": 600}
    baseline = pd.concat([orders(rng, name, size) for name, size in sizes.items()])
    current = pd.concat(
        [
            orders(rng, name, size, 1.2 if name == "Marketplace" else 1.0)
            for name, size in sizes.items()
        ]
    )
    return current, baseline


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_channel_shifted_by_20_percent_is_flagged_and_the_others_are_not(seed):
    current, baseline = order_samples(seed)
    table = aov_deviation_flags(current, baseline).set_index("channel")
    assert table.loc["Marketplace", "deviates_from_baseline"]
    assert table.loc["Marketplace", "direction"] == "up"
    assert table.loc["Marketplace", "deviates_from_peers"]
    assert table.loc["Marketplace", "peer_direction"] == "up"
    others = table.drop(index="Marketplace")
    assert not others["deviates_from_baseline"].any()
    assert not others["deviates_from_peers"].any()
    assert (others["direction"] == "none").all()


def test_flag_inputs_match_direct_computations():
    current, baseline = order_samples(4)
    table = aov_deviation_flags(current, baseline).set_index("channel")
    web_now = current.loc[current["channel"] == "Web", "order_value"]
    web_before = baseline.loc[baseline["channel"] == "Web", "order_value"]
    peers = current.loc[current["channel"] != "Web", "order_value"]
    assert table.loc["Web", "aov_current"] == pytest.approx(web_now.mean())
    assert table.loc["Web", "change_pct"] == pytest.approx(
        (web_now.mean() / web_before.mean() - 1) * 100
    )
    assert table.loc["Web", "p_baseline"] == pytest.approx(mannwhitneyu(web_now, web_before).pvalue)
    assert table.loc["Web", "p_peers"] == pytest.approx(mannwhitneyu(web_now, peers).pvalue)
    # Benjamini–Hochberg: adjusted = min over larger ranks of p * m / rank, capped at 1.
    raw = table["p_baseline"].sort_values()
    m = len(raw)
    stepped = (raw * m / np.arange(1, m + 1))[::-1].cummin()[::-1].clip(upper=1)
    pd.testing.assert_series_equal(
        table["p_baseline_adjusted"].reindex(raw.index), stepped, check_names=False
    )


def _histogram(frame: pd.DataFrame) -> pd.DataFrame:
    """Orders binned to whole currency units: ``channel, order_value, orders, revenue``."""
    binned = frame.assign(bin=frame["order_value"].round())
    return (
        binned.groupby(["channel", "bin"])["order_value"]
        .agg(orders="size", revenue="sum")
        .reset_index()
        .rename(columns={"bin": "order_value"})
    )


def test_binned_histograms_are_tested_as_their_tied_orders_and_keep_the_exact_aov():
    current, baseline = order_samples(6)
    table = aov_deviation_flags(_histogram(current), _histogram(baseline)).set_index("channel")
    tied_now = current.assign(order_value=current["order_value"].round())
    tied_before = baseline.assign(order_value=baseline["order_value"].round())
    for channel in ("Web", "Marketplace"):
        now = tied_now.loc[tied_now["channel"] == channel, "order_value"]
        before = tied_before.loc[tied_before["channel"] == channel, "order_value"]
        peers = tied_now.loc[tied_now["channel"] != channel, "order_value"]
        assert table.loc[channel, "p_baseline"] == pytest.approx(
            mannwhitneyu(now, before).pvalue, rel=1e-9, abs=1e-300
        )
        assert table.loc[channel, "p_peers"] == pytest.approx(
            mannwhitneyu(now, peers).pvalue, rel=1e-9, abs=1e-300
        )
        exact = current.loc[current["channel"] == channel, "order_value"]
        assert table.loc[channel, "aov_current"] == pytest.approx(exact.mean())
        assert table.loc[channel, "orders_current"] == len(exact)
    per_order = aov_deviation_flags(current, baseline).set_index("channel")
    flags = ["deviates_from_baseline", "direction", "deviates_from_peers", "peer_direction"]
    pd.testing.assert_frame_equal(table[flags], per_order[flags])


def test_a_small_histogram_gets_scipys_exact_test():
    current = pd.DataFrame({"channel": "Web", "order_value": [10.0, 30.0], "orders": [2, 3]})
    baseline = pd.DataFrame({"channel": "Web", "order_value": [11.0, 40.0], "orders": [3, 1]})
    table = aov_deviation_flags(current, baseline).set_index("channel")
    expected = mannwhitneyu([10, 10, 30, 30, 30], [11, 11, 11, 40]).pvalue
    assert table.loc["Web", "p_baseline"] == pytest.approx(expected)
    with pytest.raises(AnalyticsError, match="whole"):
        aov_deviation_flags(current.assign(orders=[1.5, 2]), baseline)


def test_a_significant_but_small_change_is_not_flagged():
    rng = np.random.default_rng(5)
    baseline = pd.concat([orders(rng, "Web", 40000), orders(rng, "App", 40000)])
    current = pd.concat([orders(rng, "Web", 40000, 1.03), orders(rng, "App", 40000)])
    web = aov_deviation_flags(current, baseline).set_index("channel").loc["Web"]
    assert web["p_baseline_adjusted"] < 0.01
    assert not web["deviates_from_baseline"]
    assert (
        aov_deviation_flags(current, baseline, min_effect=0.01)
        .set_index("channel")
        .loc["Web", "deviates_from_baseline"]
    )


def test_channels_with_too_few_orders_are_not_tested():
    current = pd.DataFrame(
        {"channel": ["Web", "Web", "Web", "B2B"], "order_value": [10, 12, 11, 900]}
    )
    baseline = pd.DataFrame({"channel": ["Web", "Web", "Web"], "order_value": [10, 11, 12]})
    table = aov_deviation_flags(current, baseline).set_index("channel")
    assert np.isnan(table.loc["B2B", "p_baseline"])
    assert not table.loc["B2B", "deviates_from_baseline"]
    with pytest.raises(AnalyticsError, match="order_value"):
        aov_deviation_flags(current.drop(columns="order_value"), baseline)


def basket(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["channel", "product_category", "orders", "units", "revenue"])


def test_a_mix_shift_towards_a_dearer_category_is_a_mix_effect():
    # Same unit prices (10 and 100), same units per order (1.5); only the mix moves.
    baseline = basket([("Web", "cheap", 80, 120, 1200.0), ("Web", "dear", 20, 30, 3000.0)])
    current = basket([("Web", "cheap", 40, 60, 600.0), ("Web", "dear", 60, 90, 9000.0)])
    row = basket_drivers(current, baseline).set_index("channel").loc["Web"]
    assert row["aov_base"] == pytest.approx(42.0) and row["aov_current"] == pytest.approx(96.0)
    assert row["units_per_order_effect"] == pytest.approx(0, abs=1e-9)
    assert row["within_category_price_effect"] == pytest.approx(0, abs=1e-9)
    assert row["mix_effect"] == pytest.approx(54.0)


def test_price_and_basket_size_changes_land_in_their_effects():
    baseline = basket([("Web", "cheap", 100, 200, 2000.0)])
    dearer = basket([("Web", "cheap", 100, 200, 2400.0)])
    row = basket_drivers(dearer, baseline).set_index("channel").loc["Web"]
    assert row["within_category_price_effect"] == pytest.approx(4.0)
    assert row[["units_per_order_effect", "mix_effect"]].abs().max() < 1e-9
    bigger = basket([("Web", "cheap", 100, 300, 3000.0)])
    row = basket_drivers(bigger, baseline).set_index("channel").loc["Web"]
    assert row["units_per_order_effect"] == pytest.approx(10.0)
    assert row[["mix_effect", "within_category_price_effect"]].abs().max() < 1e-9


def test_basket_effects_sum_exactly_for_random_baskets():
    rng = np.random.default_rng(9)
    categories = ["a", "b", "c", "d"]

    def random_state(drop: str) -> pd.DataFrame:
        rows = []
        for channel in ["Web", "App", "Store"]:
            for category in categories:
                if category == drop and channel == "App":
                    continue  # a category missing on one side of one channel
                units = int(rng.integers(1, 500))
                rows.append(
                    (
                        channel,
                        category,
                        int(rng.integers(1, units + 1)),
                        units,
                        round(units * rng.uniform(1, 200), 2),
                    )
                )
        return basket(rows)

    baseline, current = random_state("a"), random_state("d")
    table = basket_drivers(current, baseline).set_index("channel")
    for channel in table.index:
        now = current[current["channel"] == channel]
        before = baseline[baseline["channel"] == channel]
        expected = (
            now["revenue"].sum() / now["orders"].sum()
            - before["revenue"].sum() / before["orders"].sum()
        )
        row = table.loc[channel]
        assert row["aov_change"] == pytest.approx(expected)
        assert row["units_per_order_effect"] + row["price_per_unit_effect"] == pytest.approx(
            expected, abs=1e-9
        )
        assert row["mix_effect"] + row["within_category_price_effect"] == pytest.approx(
            row["price_per_unit_effect"], abs=1e-9
        )


def test_order_ids_count_distinct_orders_and_missing_keys_are_marked():
    lines = pd.DataFrame(
        {
            "channel": ["Web", "Web", "Web"],
            "product_category": ["a", "b", "a"],
            "order_id": [1, 1, 2],
            "units": [1, 1, 2],
            "revenue": [10.0, 30.0, 20.0],
        }
    )
    baseline = lines.assign(channel=["Web", "Web", "App"])
    table = basket_drivers(lines, baseline).set_index("channel")
    assert table.loc["Web", "aov_current"] == pytest.approx(30.0)  # 60 over 2 orders
    assert table.loc["App", "status"] == "gone"
    assert table.loc["App", BASKET_EFFECTS].isna().all()
    with pytest.raises(AnalyticsError, match="revenue without units"):
        basket_drivers(lines.assign(units=0), baseline)
