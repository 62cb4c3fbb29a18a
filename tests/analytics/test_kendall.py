"""The many-series statistics agree with pymannkendall and scipy series by series."""

from dataclasses import asdict

import numpy as np
import pandas as pd
import pymannkendall
import pytest
from scipy.stats import norm
from scipy.stats import theilslopes

from analytics.kendall import left_align
from analytics.kendall import mann_kendall_score
from analytics.kendall import mann_kendall_variance
from analytics.kendall import order_statistics
from analytics.kendall import prewhiten
from analytics.kendall import theil_sen
from analytics.kendall import z_score
from analytics.trends import trend_test
from analytics.trends import trend_tests


def ragged_rows(seed: int = 3) -> np.ndarray:
    """Rows with ties (values rounded), scattered gaps and one mostly-missing row."""
    rng = np.random.default_rng(seed)
    values = (rng.normal(0, 1, (12, 90)) + 0.01 * np.arange(90)).round(1)
    values[rng.random(values.shape) < 0.1] = np.nan
    values[4, :70] = np.nan
    return values


def test_left_align_keeps_each_rows_observations_and_positions():
    values = np.array([[np.nan, 1.0, np.nan, 2.0], [3.0, 4.0, 5.0, np.nan]])
    aligned, positions, counts = left_align(values)
    assert counts.tolist() == [2, 3]
    np.testing.assert_array_equal(aligned, [[1.0, 2.0, np.nan], [3.0, 4.0, 5.0]])
    np.testing.assert_array_equal(positions, [[1.0, 3.0, np.nan], [0.0, 1.0, 2.0]])


def test_score_variance_and_prewhitening_match_pymannkendall():
    values = ragged_rows()
    aligned, _, counts = left_align(values)
    score, variance = mann_kendall_score(aligned), mann_kendall_variance(aligned, counts)
    whitened, whitened_counts = prewhiten(aligned, counts)
    whitened_score = mann_kendall_score(whitened)
    whitened_z = z_score(whitened_score, mann_kendall_variance(whitened, whitened_counts))
    for row, series in enumerate(values):
        original = pymannkendall.original_test(series)
        assert score[row] == original.s
        assert variance[row] == pytest.approx(original.var_s)
        prewhitened = pymannkendall.pre_whitening_modification_test(series[np.isfinite(series)])
        assert whitened_score[row] == prewhitened.s
        assert whitened_z[row] == pytest.approx(prewhitened.z)


def test_theil_sen_matches_scipy_with_its_confidence_interval():
    values = ragged_rows(seed=8)
    aligned, positions, counts = left_align(values)
    slope, low, high = theil_sen(aligned, positions, counts)
    for row, series in enumerate(values):
        observed = np.isfinite(series)
        expected = theilslopes(series[observed], np.flatnonzero(observed), alpha=0.95)
        assert slope[row] == pytest.approx(expected.slope)
        assert low[row] == pytest.approx(expected.low_slope)
        assert high[row] == pytest.approx(expected.high_slope)


def test_order_statistics_equal_a_full_sort_even_where_the_sample_misleads():
    rng = np.random.default_rng(5)
    values = rng.normal(0, 1, (6, 40_960)).round(2).astype("float32")
    values[1, 30_000:] = np.nan
    values[2, ::10] = 1_000 + rng.random(4_096)  # the strided sample sees only these
    values[3] = 7.0
    valid = np.count_nonzero(~np.isnan(values), axis=1)
    ranks = np.array([[0, 5, 6, 9]] + [[19_000, 20_479, 20_480, 21_900]] * 4 + [[40_959] * 4])
    ranks[1] = [14_000, 14_999, 15_000, 16_000]
    expected = np.sort(values, axis=1)[np.arange(6)[:, None], ranks]
    np.testing.assert_array_equal(order_statistics(values.copy(), ranks, valid), expected)


def test_theil_sen_of_two_points_and_of_too_few():
    aligned, positions, counts = left_align(np.array([[1.0, np.nan, 5.0], [np.nan, 2.0, np.nan]]))
    slope, low, high = theil_sen(aligned, positions, counts)
    assert (slope[0], low[0], high[0]) == (2.0, 2.0, 2.0)
    assert np.isnan([slope[1], low[1], high[1]]).all()


@pytest.mark.parametrize("days", [56, 200])
def test_trend_tests_of_many_rows_equal_trend_test_row_by_row(days):
    """The seasonal test (56 days: under ten weekly cycles) and the pre-whitened one (200)."""
    rng = np.random.default_rng(days)
    index = pd.date_range("2025-01-01", periods=days, freq="D")
    values = 50 + rng.normal(0, 4, (6, days)) + np.linspace(0, 1, 6)[:, None] * np.arange(days) / 20
    values[2, ::9] = np.nan
    values[5] = 7.0
    together = trend_tests(values, period=7)
    for row, series in enumerate(values):
        mine, alone = asdict(together[row]), asdict(trend_test(pd.Series(series, index=index)))
        floats = {k for k, v in alone.items() if isinstance(v, float)}
        assert {k: mine[k] for k in floats} == pytest.approx({k: alone[k] for k in floats})
        assert {k: mine[k] for k in alone.keys() - floats} == {
            k: alone[k] for k in alone.keys() - floats
        }
        if days < 70:
            reference = pymannkendall.seasonal_test(series, period=7)
            assert together[row].tau == pytest.approx(reference.Tau)
            assert together[row].p_value == pytest.approx(2 * norm.sf(abs(reference.z)))
    assert together[0].test == ("seasonal" if days < 70 else "prewhitened")
    assert together[5].direction == "flat" and together[5].p_value == 1.0
