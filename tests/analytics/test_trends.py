import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kendalltau, norm

from analytics.errors import AnalyticsError
from analytics.trends import (
    TREND_COLUMNS,
    seasonal_period,
    seasonally_adjust,
    trend_table,
    trend_test,
)

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


def long_frame() -> pd.DataFrame:
    """Two channels of daily sales ending mid-month; ``shop`` starts later and rises."""
    web = daily_series(500, -0.05, seed=21, start="2023-01-01")
    shop = daily_series(400, 0.2, seed=22, start="2023-04-11")
    frames = [
        pd.DataFrame({"unique_id": name, "ds": series.index, "y": series.to_numpy()})
        for name, series in (("web", web), ("shop", shop))
    ]
    return pd.concat(frames, ignore_index=True)


def test_trend_table_month_changes_match_pandas_resampling():
    frame = long_frame()
    table = trend_table(frame).set_index("unique_id")
    as_of = frame["ds"].max()
    assert as_of == pd.Timestamp("2024-05-14")  # so April 2024 is the last complete month
    for name, rows in frame.groupby("unique_id"):
        monthly = rows.set_index("ds")["y"].resample("MS").sum()
        april = monthly[pd.Timestamp("2024-04-01")]
        expected_mom = (april / monthly[pd.Timestamp("2024-03-01")] - 1) * 100
        assert table.loc[name, "mom"] == pytest.approx(expected_mom)
        if rows["ds"].min() <= pd.Timestamp("2023-04-01"):
            expected_yoy = (april / monthly[pd.Timestamp("2023-04-01")] - 1) * 100
            assert table.loc[name, "yoy"] == pytest.approx(expected_yoy)
        else:
            assert math.isnan(table.loc[name, "yoy"])  # April 2023 only partly covered


def test_trend_table_sparkline_is_the_last_complete_iso_weeks():
    frame = long_frame()
    table = trend_table(frame).set_index("unique_id")
    rows = frame[frame["unique_id"] == "web"].set_index("ds")["y"]
    weekly = rows.resample("W-SUN").sum()  # weeks labelled by their Sunday
    complete = weekly[weekly.index <= pd.Timestamp("2024-05-12")]
    assert table.loc["web", "sparkline"] == pytest.approx(complete.iloc[-26:].tolist())


def test_trend_table_is_sorted_by_strength_with_all_columns():
    table = trend_table(long_frame())
    assert list(table.columns) == TREND_COLUMNS
    assert table["unique_id"].tolist() == ["shop", "web"]
    assert table["direction"].tolist() == ["rising", "declining"]
    assert table["strength"].is_monotonic_decreasing


def test_trend_table_refuses_bad_frames():
    frame = long_frame()
    with pytest.raises(AnalyticsError, match="several rows for web on 2023-01-01"):
        trend_table(pd.concat([frame.iloc[:1], frame]))
    with pytest.raises(AnalyticsError, match="lacks column"):
        trend_table(frame.drop(columns="y"))
    assert list(trend_table(frame.iloc[:0]).columns) == TREND_COLUMNS
