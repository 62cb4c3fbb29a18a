import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kendalltau
from scipy.stats import norm

from analytics.errors import AnalyticsError
from analytics.metrics import BASE_MEASURES
from analytics.metrics import with_derived
from analytics.periods import Period
from analytics.trends import seasonal_period
from analytics.trends import seasonally_adjust
from analytics.trends import trend_test
from analytics.views.trends import TREND_COLUMNS
from analytics.views.trends import WEEKLY_COLUMNS
from analytics.views.trends import last_complete_month
from analytics.views.trends import trend_table

WEEKLY_PATTERN = np.array([0.0, 5.0, 3.0, 2.0, 8.0, 20.0, 15.0])


def daily_series(days: int, slope: float, seed: int, noise: float = 3.0, start="2024-01-01"):
    rng = np.random.default_rng(seed)
    steps = np.arange(days)
    values = 100 + slope * steps + np.resize(WEEKLY_PATTERN, days) + rng.normal(0, noise, days)
    return pd.Series(values, index=pd.date_range(start, periods=days, freq="D"))


def reference_mann_kendall(values: np.ndarray) -> tuple[float, float]:
    """Textbook Mann–Kendall (no ties): S, then z with continuity correction, two-sided p."""
    n = len(values)
    later_minus_earlier = np.sign(values[None, :] - values[:, None])
    s = np.triu(later_minus_earlier, k=1).sum()
    variance = n * (n - 1) * (2 * n + 5) / 18
    z = (s - np.sign(s)) / math.sqrt(variance)
    return s / (n * (n - 1) / 2), 2 * norm.sf(abs(z))


def test_daily_index_implies_a_weekly_cycle():
    assert seasonal_period(pd.date_range("2024-01-01", periods=30, freq="D")) == 7
    assert seasonal_period(pd.date_range("2024-01-01", periods=30, freq="MS")) == 12
    assert seasonal_period(pd.RangeIndex(30)) is None


def test_seasonal_adjustment_removes_the_weekly_pattern():
    steps = np.arange(140)
    trend = 50 + 0.3 * steps
    y = pd.Series(trend + np.resize(WEEKLY_PATTERN - WEEKLY_PATTERN.mean(), 140))
    y.index = pd.date_range("2024-01-01", periods=140, freq="D")
    adjusted = seasonally_adjust(y)
    assert np.abs(adjusted.to_numpy() - trend).max() < 0.5
    assert np.abs(y.to_numpy() - trend).max() > 10


def test_seasonal_adjustment_needs_two_full_cycles_and_keeps_gaps():
    short = daily_series(13, 0.0, seed=1)
    pd.testing.assert_series_equal(seasonally_adjust(short), short)
    gappy = daily_series(70, 0.0, seed=1)
    gappy.iloc[[3, 40]] = np.nan
    adjusted = seasonally_adjust(gappy)
    assert adjusted.isna().tolist() == gappy.isna().tolist()


# Tolerances are about three standard errors of an OLS slope through noise with sd 3.
@pytest.mark.parametrize(("days", "slope", "tolerance"), [(56, 0.2, 0.075), (365, 0.05, 0.005)])
def test_injected_trend_is_called_rising_with_a_close_slope(days, slope, tolerance):
    result = trend_test(daily_series(days, slope, seed=7))
    assert result.direction == "rising"
    assert result.p_value < 0.05
    assert result.strength > -math.log10(0.05)
    assert result.slope_low <= slope <= result.slope_high
    assert result.slope == pytest.approx(slope, abs=tolerance)
    assert result.n == days


def test_declining_trend_is_called_declining():
    result = trend_test(daily_series(365, -0.05, seed=3))
    assert result.direction == "declining"
    assert result.strength < 0
    assert result.test == "prewhitened"


@pytest.mark.parametrize("days", [28, 365])
def test_flat_seasonal_noise_is_rarely_called(days):
    calls = [trend_test(daily_series(days, 0.0, seed=seed)).direction for seed in range(20)]
    # At alpha = 0.05 about one call in 20 is expected by chance.
    assert sum(call != "flat" for call in calls) <= 2


def test_tau_and_p_match_a_textbook_mann_kendall_without_seasonality():
    rng = np.random.default_rng(11)
    values = 0.02 * np.arange(60) + rng.normal(0, 1, 60)
    result = trend_test(pd.Series(values), method="original")
    tau, p_value = reference_mann_kendall(values)
    assert result.tau == pytest.approx(tau)
    assert result.tau == pytest.approx(kendalltau(np.arange(60), values).statistic)
    assert result.p_value == pytest.approx(p_value, rel=1e-9)
    assert result.test == "original"


def test_relative_slope_is_the_change_over_the_window_over_the_mean():
    values = 100 + 0.5 * np.arange(40)
    result = trend_test(pd.Series(values))
    assert result.slope == pytest.approx(0.5)
    assert result.relative_slope == pytest.approx(0.5 * 40 / values.mean())
    assert result.direction == "rising"


def test_constant_short_and_missing_series():
    constant = trend_test(pd.Series(5.0, index=pd.date_range("2024-01-01", periods=60)))
    assert (constant.direction, constant.p_value, constant.slope, constant.strength) == (
        "flat",
        1.0,
        0.0,
        0.0,
    )
    short = trend_test(pd.Series([1.0, 2, 3, 4, 5, 6, 7]))
    assert short.direction == "flat" and short.p_value == 1.0 and math.isnan(short.slope)
    gappy = daily_series(120, 0.1, seed=5)
    gappy.iloc[10:25] = np.nan
    result = trend_test(gappy)
    assert result.n == 105
    assert result.direction == "rising"
    assert result.slope == pytest.approx(0.1, abs=0.03)
    mostly_missing = pd.Series([np.nan] * 30 + [1.0, 2.0, 3.0])
    assert trend_test(mostly_missing).direction == "flat"


def test_unknown_test_method_is_refused():
    with pytest.raises(AnalyticsError, match="'magic'"):
        trend_test(daily_series(30, 0, seed=1), method="magic")


PERIOD = Period(pd.Timestamp("2023-01-01").date(), pd.Timestamp("2024-05-14").date())


def channel_sales() -> dict[str, pd.Series]:
    """Daily sales of two channels up to mid-May 2024; ``shop`` opens in May 2023 and rises."""
    return {
        "web": daily_series(500, -0.05, seed=21, start="2023-01-01"),
        "shop": daily_series(379, 0.2, seed=22, start="2023-05-02"),
    }


def daily_sums_of(sales: dict[str, pd.Series]) -> pd.DataFrame:
    """``daily_sums`` by touchpoint of the period for these sales: a full grid of days with
    zeros before a channel opens, the sales as gross revenue."""
    days = pd.date_range(PERIOD.start, PERIOD.end, freq="D")
    frames = []
    for channel, series in sales.items():
        frame = pd.DataFrame(0.0, index=range(len(days)), columns=list(BASE_MEASURES))
        frame["gross_revenue"] = series.reindex(days, fill_value=0.0).to_numpy()
        frame.insert(0, "day", days.date)
        frame.insert(1, "touchpoint", channel)
        frames.append(frame)
    sums = with_derived(pd.concat(frames, ignore_index=True))
    sums["touchpoint_name"] = sums["touchpoint"].str.title()
    return sums


def month_totals(sums: pd.DataFrame, month: Period) -> dict[str, pd.DataFrame]:
    """What ``build_trends`` reads for ``month_changes``: the sums per channel of the month,
    the month before and the same month a year earlier."""
    before = (pd.Timestamp(month.start) - pd.DateOffset(months=1)).date()
    year_before = (pd.Timestamp(month.start) - pd.DateOffset(years=1)).date()
    totals = {}
    for name, first in (("now", month.start), ("prior", before), ("yoy", year_before)):
        last = (pd.Timestamp(first) + pd.offsets.MonthEnd(0)).date()
        inside = sums[(sums["day"] >= first) & (sums["day"] <= last)]
        summed = inside.groupby("touchpoint", as_index=False)[list(BASE_MEASURES)].sum()
        totals[name] = with_derived(summed)
    return totals


def revenue_table() -> pd.DataFrame:
    sums = daily_sums_of(channel_sales())
    month = last_complete_month(PERIOD)
    table, _weekly = trend_table(sums, "touchpoint", month_totals(sums, month), ("revenue",))
    return table


def test_month_changes_match_pandas_resampling():
    month = last_complete_month(PERIOD)
    assert month == Period(pd.Timestamp("2024-04-01").date(), pd.Timestamp("2024-04-30").date())
    table = revenue_table().set_index("channel")
    for name, series in channel_sales().items():
        monthly = series.resample("MS").sum()
        april = monthly[pd.Timestamp("2024-04-01")]
        expected_mom = (april / monthly[pd.Timestamp("2024-03-01")] - 1) * 100
        assert table.loc[name, "mom"] == pytest.approx(expected_mom)
        if series.index[0] <= pd.Timestamp("2023-04-01"):
            expected_yoy = (april / monthly[pd.Timestamp("2023-04-01")] - 1) * 100
            assert table.loc[name, "yoy"] == pytest.approx(expected_yoy)
        else:
            assert math.isnan(table.loc[name, "yoy"])  # no sales in April 2023


def test_sparkline_is_the_last_complete_iso_weeks():
    table = revenue_table().set_index("channel")
    weekly = channel_sales()["web"].resample("W-SUN").sum()  # weeks labelled by their Sunday
    complete = weekly[weekly.index <= pd.Timestamp("2024-05-12")]
    assert table.loc["web", "sparkline"] == pytest.approx(complete.iloc[-26:].tolist())


def test_trend_table_is_sorted_by_strength_with_all_columns():
    sums = daily_sums_of(channel_sales())
    month = last_complete_month(PERIOD)
    table, weekly = trend_table(sums, "touchpoint", month_totals(sums, month), ("revenue",))
    assert list(table.columns) == TREND_COLUMNS
    assert list(weekly.columns) == WEEKLY_COLUMNS
    assert table["channel"].tolist() == ["shop", "web"]
    assert table["channel_name"].tolist() == ["Shop", "Web"]
    assert table["direction"].tolist() == ["rising", "declining"]
    assert table["strength"].is_monotonic_decreasing
    revenue = {name: series.sum() for name, series in channel_sales().items()}
    assert table.set_index("channel")["value"].to_dict() == pytest.approx(revenue)
