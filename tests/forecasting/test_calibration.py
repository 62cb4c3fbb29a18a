import numpy as np
import pandas as pd
import pytest

from forecasting.calibration import bucket_size
from forecasting.calibration import calibrate
from forecasting.calibration import clip_nonnegative
from forecasting.calibration import conformal_offsets
from forecasting.calibration import conformal_quantile
from forecasting.calibration import held_out_coverage
from forecasting.calibration import origin_scales
from forecasting.calibration import rescale
from forecasting.metrics import coverage
from forecasting.training import train


def test_conformal_quantile_is_the_ceil_n_plus_one_rank():
    scores = np.array([5.0, 1.0, 4.0, 2.0, 3.0, 9.0, 7.0, 8.0, 6.0])
    # n = 9, coverage 0.8: rank ceil(10 × 0.8) = 8 of the sorted scores
    assert conformal_quantile(scores, 0.8) == 8.0
    assert conformal_quantile(scores, 0.95) == 9.0  # rank 10 > n: the largest


def simulated(folds, horizon, seed, n_series=10, draws=1):
    """Forecasts ``yhat = 100`` of actuals whose error grows with the step ahead: N(0, σ_h²),
    σ_h = 2 + h / 2 (skewed upwards by a gamma part), ``draws`` actuals per fold and step."""
    rng = np.random.default_rng(seed)
    rows = []
    for uid in range(n_series):
        for fold in range(folds * draws):
            for h in range(1, horizon + 1):
                error = rng.normal(0, 2 + h / 2) + rng.gamma(2, 1 + h / 10)
                rows.append(
                    {
                        "unique_id": f"s{uid}",
                        "ds": pd.Timestamp("2025-01-01") + pd.Timedelta(days=h),
                        "cutoff": pd.Timestamp("2024-01-01") + pd.Timedelta(days=fold),
                        "model": "m",
                        "y": 100 + error,
                        "yhat": 100.0,
                        "yhat_lower": 99.0,
                        "yhat_upper": 101.0,
                    }
                )
    return pd.DataFrame(rows)


def test_conformal_intervals_per_horizon_cover_their_level_on_new_data():
    folds, horizon = 4, 28
    size = bucket_size(folds)
    assert size == 10  # 4 folds × 10 steps: 40 errors per bucket
    offsets = conformal_offsets(simulated(folds, horizon, seed=0), 80, size)
    # the interval widens with the horizon, as the errors do
    widths = (offsets["below"] + offsets["above"]).groupby(offsets["bucket"]).mean()
    assert widths.is_monotonic_increasing
    fresh = simulated(folds, horizon, seed=1, draws=25)
    calibrated = pd.concat(
        [calibrate(one.drop(columns="y"), offsets, size) for _, one in fresh.groupby("cutoff")]
    ).merge(fresh[["unique_id", "cutoff", "ds", "y"]], on=["unique_id", "cutoff", "ds"])
    assert len(calibrated) == len(fresh)
    got = coverage(calibrated["y"], calibrated["yhat_lower"], calibrated["yhat_upper"])
    assert 0.75 <= got <= 0.85
    # asymmetric errors: more room above the forecast than below it
    assert (offsets["above"] > offsets["below"]).mean() > 0.9


def test_steps_past_the_backtest_horizon_take_its_last_bucket():
    offsets = conformal_offsets(simulated(4, 10, seed=2, n_series=1), 80, 5)
    future = pd.DataFrame(
        {
            "unique_id": "s0",
            "ds": pd.date_range("2026-01-01", periods=14),
            "model": "m",
            "yhat": 50.0,
            "yhat_lower": 0.0,
            "yhat_upper": 0.0,
        }
    )
    got = calibrate(future, offsets, 5)
    last = offsets.iloc[-1]
    assert got["yhat_upper"].iloc[-1] == pytest.approx(50 + last["above"])
    assert got["yhat_lower"].iloc[0] == pytest.approx(50 - offsets.iloc[0]["below"])
    other = future.assign(unique_id="unknown")
    pd.testing.assert_frame_equal(calibrate(other, offsets, 5), other)


def test_non_negative_measures_are_truncated_at_zero_with_a_consistent_interval():
    forecasts = pd.DataFrame(
        {
            "unique_id": ["a", "a", "b"],
            "yhat": [-2.0, 1.0, -2.0],
            "yhat_lower": [-5.0, -1.0, -5.0],
            "yhat_upper": [-1.0, 3.0, -1.0],
        }
    )
    got = clip_nonnegative(forecasts, ["a"])
    assert got.loc[0].tolist()[1:] == [0.0, 0.0, 0.0]
    assert got.loc[1].tolist()[1:] == [1.0, 0.0, 3.0]
    assert got.loc[2].tolist()[1:] == [-2.0, -5.0, -1.0]  # not a non-negative series


def test_held_out_coverage_calibrates_each_fold_on_the_others():
    backtest = simulated(4, 10, seed=3, n_series=3)
    got = held_out_coverage(backtest, 80, bucket_size(4)).set_index("unique_id")["coverage"]
    assert len(got) == 3 and got.between(0.5, 1.0).all()
    one_fold = backtest[backtest["cutoff"] == backtest["cutoff"].min()]
    assert held_out_coverage(one_fold, 80, 5).empty


def test_trained_forecasts_cover_about_80_percent_of_a_hold_out():
    rng = np.random.default_rng(5)
    days = pd.date_range("2024-01-01", periods=400, freq="D")
    weekly = np.array([1.0, 0.9, 0.95, 1.0, 1.2, 1.4, 1.3])[days.day_of_week]
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
    assert (calibrated[["yhat", "yhat_lower"]] >= 0).all().all()
    got = coverage(calibrated.y, calibrated.yhat_lower, calibrated.yhat_upper)
    assert 0.7 <= got <= 0.9
    assert result.skill["coverage"].between(0.6, 1.0).all()


def test_errors_count_relative_to_the_level_at_each_origin():
    """A series that doubled between the folds: the same relative error, at today's level."""
    days = pd.date_range("2024-01-01", periods=120)
    frame = pd.DataFrame(
        {"unique_id": "s", "ds": days, "y": np.r_[np.full(60, 10.0), np.full(60, 20.0)]}
    )
    scales = origin_scales(frame, [days[59], days[119]], season=7)
    assert scales["scale"].tolist() == [10.0, 20.0]
    backtest = pd.DataFrame(
        {
            "unique_id": "s",
            "ds": [days[60], days[61], days[62], days[63]],
            "cutoff": days[59],
            "model": "m",
            "y": [11.0, 11.0, 11.0, 11.0],
            "yhat": 10.0,
        }
    )
    # one origin at level 10: errors of 10 %
    offsets = conformal_offsets(backtest, 80, 5, scales)
    assert offsets["above"].iloc[0] == pytest.approx(0.1)
    today = rescale(offsets, scales[scales["cutoff"] == days[119]])
    assert today["above"].iloc[0] == pytest.approx(2.0)
