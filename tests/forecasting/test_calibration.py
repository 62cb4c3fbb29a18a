import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecasting.calibration import calibrate, conformal_quantile, interval_scales
from forecasting.metrics import coverage
from forecasting.training import train


def test_conformal_quantile_is_the_ceil_n_plus_one_rank():
    scores = np.array([5.0, 1.0, 4.0, 2.0, 3.0, 9.0, 7.0, 8.0, 6.0])
    # n = 9, coverage 0.8: rank ceil(10 × 0.8) = 8 of the sorted scores
    assert conformal_quantile(scores, 0.8) == 8.0
    assert conformal_quantile(scores, 0.95) == 9.0  # rank 10 > n: the largest


def noise_backtest(n, half_width, seed, uid="s"):
    """Forecasts of N(100, 10²) noise with ``yhat = 100`` and a fixed, too narrow interval."""
    y = 100 + np.random.default_rng(seed).normal(0, 10, n)
    return pd.DataFrame(
        {
            "unique_id": uid,
            "ds": pd.date_range("2025-01-01", periods=n),
            "model": "m",
            "y": y,
            "yhat": 100.0,
            "yhat_lower": 100.0 - half_width,
            "yhat_upper": 100.0 + half_width,
        }
    )


def test_scales_stretch_a_narrow_interval_to_its_level_on_new_data():
    backtest = noise_backtest(600, half_width=2.0, seed=0)
    assert coverage(backtest.y, backtest.yhat_lower, backtest.yhat_upper) < 0.3
    scales = interval_scales(backtest, level=80).iloc[0]
    # each side's half-width should become the normal's 90 % quantile: 1.2816 × 10
    expected = stats.norm.ppf(0.9) * 10 / 2.0
    assert scales.lower_scale == pytest.approx(expected, rel=0.1)
    assert scales.upper_scale == pytest.approx(expected, rel=0.1)
    held_out = noise_backtest(2000, half_width=2.0, seed=1)
    calibrated = calibrate(held_out.drop(columns="y"), interval_scales(backtest, 80))
    assert list(calibrated.columns) == [c for c in held_out.columns if c != "y"]
    got = coverage(held_out.y, calibrated.yhat_lower, calibrated.yhat_upper)
    assert 0.77 <= got <= 0.83


def test_calibration_is_per_series_and_leaves_unscaled_rows_alone():
    wide = noise_backtest(400, half_width=50.0, seed=2, uid="wide")
    narrow = noise_backtest(400, half_width=1.0, seed=3, uid="narrow")
    scales = interval_scales(pd.concat([wide, narrow]), level=80).set_index("unique_id")
    assert scales.loc["wide", "upper_scale"] < 0.5 < 5 < scales.loc["narrow", "upper_scale"]
    other = noise_backtest(7, half_width=3.0, seed=4, uid="unknown").drop(columns="y")
    pd.testing.assert_frame_equal(calibrate(other, scales.reset_index()), other)


def test_trained_forecasts_cover_about_80_percent_of_a_hold_out():
    rng = np.random.default_rng(5)
    days = pd.date_range("2024-01-01", periods=400, freq="D")
    weekly = np.array([1.0, 0.9, 0.95, 1.0, 1.2, 1.4, 1.3])[days.dayofweek]
    frame = pd.concat(
        [
            pd.DataFrame({"unique_id": f"s{i}", "ds": days, "y": rng.poisson(rate * weekly)})
            for i, rate in enumerate((3, 8, 20, 50, 120, 300))
        ]
    )
    cutoff = days[-29]
    history, future = frame[frame.ds <= cutoff], frame[frame.ds > cutoff]
    result = train(history, ["profile"], horizon=28, folds=4)
    calibrated = result.champion_forecast().merge(future, on=["unique_id", "ds"])
    assert len(calibrated) == 6 * 28
    got = coverage(calibrated.y, calibrated.yhat_lower, calibrated.yhat_upper)
    assert 0.7 <= got <= 0.9
