import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecasting.errors import ForecastingError
from forecasting.models import LightGBMModel
from forecasting.models import ProfileModel
from forecasting.models import ProphetModel
from forecasting.models import SeasonalNaive
from forecasting.series import FORECAST_COLUMNS
from forecasting.series import complete_future_exog
from forecasting.series import validate_series


def weekly_frame(days=120, ids=("a", "b"), seed=0):
    rng = np.random.default_rng(seed)
    parts = []
    for i, uid in enumerate(ids):
        ds = pd.date_range("2024-01-01", periods=days, freq="D")
        weekly = np.array([1.0, 0.9, 0.95, 1.0, 1.2, 1.4, 1.3])[ds.day_of_week]
        y = (100 + 50 * i) * weekly * (1 + 0.002 * np.arange(days)) + rng.normal(0, 2, days)
        parts.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": y}))
    return pd.concat(parts, ignore_index=True)


def test_seasonal_naive_repeats_the_last_week_with_empirical_intervals():
    frame = weekly_frame(days=70)
    forecast = SeasonalNaive().fit(frame).predict(10)
    assert list(forecast.columns) == FORECAST_COLUMNS
    a = frame[frame.unique_id == "a"].y.to_numpy()
    got = forecast[forecast.unique_id == "a"]
    np.testing.assert_allclose(got.yhat.to_numpy(), np.r_[a[-7:], a[-7:-4]])
    one_week = a[7:] - a[:-7]
    two_weeks = a[14:] - a[:-14]
    lower = np.r_[np.full(7, np.quantile(one_week, 0.1)), np.full(3, np.quantile(two_weeks, 0.1))]
    upper = np.r_[np.full(7, np.quantile(one_week, 0.9)), np.full(3, np.quantile(two_weeks, 0.9))]
    np.testing.assert_allclose(got.yhat_lower.to_numpy(), got.yhat.to_numpy() + lower)
    np.testing.assert_allclose(got.yhat_upper.to_numpy(), got.yhat.to_numpy() + upper)
    assert got.ds.iloc[0] == frame.ds.max() + pd.Timedelta(days=1)


def test_seasonal_naive_interval_covers_gaussian_noise_at_its_level():
    rng = np.random.default_rng(3)
    y = 50 + rng.normal(0, 5, 400)
    frame = pd.DataFrame({"unique_id": "n", "ds": pd.date_range("2023-01-01", periods=400), "y": y})
    got = SeasonalNaive().fit(frame).predict(7)
    # y_t - y_{t-7} ~ N(0, 2·25): the 80 % half-width is z_0.9·sqrt(50)
    half_width = (got.yhat_upper - got.yhat_lower).mean() / 2
    assert half_width == pytest.approx(stats.norm.ppf(0.9) * np.sqrt(50), rel=0.15)


def test_lightgbm_is_deterministic_and_follows_the_weekly_pattern():
    frame = weekly_frame(days=200)
    first = LightGBMModel(n_estimators=100).fit(frame).predict(21)
    second = LightGBMModel(n_estimators=100).fit(frame).predict(21)
    pd.testing.assert_frame_equal(first, second)
    assert list(first.columns) == FORECAST_COLUMNS
    assert (first.yhat_lower <= first.yhat).all() and (first.yhat <= first.yhat_upper).all()
    b = first[first.unique_id == "b"].set_index("ds").yhat
    # Saturday (1.4) above Tuesday (0.9) in every forecast week
    assert (b[b.index.day_of_week == 5].to_numpy() > b[b.index.day_of_week == 1].to_numpy()).all()


def test_lightgbm_uses_a_promotion_regressor():
    frame = weekly_frame(days=300, ids=("p",), seed=5)
    rng = np.random.default_rng(1)
    frame["promotion"] = (rng.uniform(size=len(frame)) < 0.2).astype(float)
    frame["y"] += 60 * frame["promotion"]
    model = LightGBMModel(n_estimators=150).fit(frame)
    future = pd.DataFrame(
        {
            "unique_id": "p",
            "ds": pd.date_range(frame.ds.max() + pd.Timedelta(days=1), periods=14),
            "promotion": [1.0, 0.0] * 7,
        }
    )
    got = model.predict(14, future).yhat.to_numpy()
    lift = got[0::2].mean() - got[1::2].mean()
    assert 35 < lift < 85


def test_profile_model_is_the_recent_weekday_adjusted_mean():
    frame = weekly_frame(days=200, ids=("a",), seed=7)
    forecast = ProfileModel(level_days=56, country=None).fit(frame).predict(14)
    assert list(forecast.columns) == FORECAST_COLUMNS
    history = frame.set_index("ds").y
    weekday = history.groupby(history.index.day_of_week).mean()
    weekday = weekday / weekday.mean()
    recent = history.tail(56)
    level = recent.sum() / weekday[recent.index.day_of_week].sum()
    expected = level * weekday[forecast.ds.dt.day_of_week].to_numpy()
    # moved to the median of the errors, which is their mean up to sampling for symmetric noise
    np.testing.assert_allclose(forecast.yhat.to_numpy(), expected, rtol=0.005)
    assert (forecast.yhat_lower <= forecast.yhat).all() and (
        forecast.yhat <= forecast.yhat_upper
    ).all()


def test_profile_model_follows_the_yearly_pattern_through_the_horizon():
    rng = np.random.default_rng(8)
    ds = pd.date_range("2022-01-01", periods=3 * 365 + 56, freq="D")
    weekly = np.array([1.0, 0.9, 0.95, 1.0, 1.15, 1.35, 1.2])[ds.day_of_week]
    yearly = 1 + 0.3 * np.sin(2 * np.pi * (ds.day_of_year.to_numpy() - 80) / 365.25)
    truth = 200 * weekly * yearly
    frame = pd.DataFrame({"unique_id": "y", "ds": ds, "y": truth * rng.normal(1, 0.05, len(ds))})
    history = frame.iloc[:-56]
    # the horizon runs down the yearly curve: a flat weekly forecast would miss by ~10 %
    forecast = ProfileModel(country=None).fit(history).predict(56)
    error = np.abs(forecast.yhat.to_numpy() / truth[-56:] - 1)
    assert error.mean() < 0.04
    flat = SeasonalNaive().fit(history).predict(56).yhat.to_numpy()
    assert np.abs(flat / truth[-56:] - 1).mean() > 2 * error.mean()


def test_low_counts_are_forecast_at_their_median_not_their_mean():
    """A few orders a day (Poisson, mean 1.4, median 1): the absolute error, which MASE and
    WAPE score, is lower at the median than at the mean."""
    rng = np.random.default_rng(0)
    ds = pd.date_range("2024-01-01", periods=300, freq="D")
    frame = pd.DataFrame({"unique_id": "m", "ds": ds, "y": rng.poisson(1.4, 300).astype(float)})
    forecast = ProfileModel(country=None).fit(frame).predict(28)
    yhat = forecast.yhat.to_numpy()
    assert 0.8 < yhat.mean() < 1.2
    assert (forecast.yhat_lower <= forecast.yhat).all() and (
        forecast.yhat <= forecast.yhat_upper
    ).all()
    fresh = rng.poisson(1.4, (2000, 28))
    assert np.abs(fresh - yhat).mean() < np.abs(fresh - 1.4).mean()


def test_prophet_with_regressor_holidays_and_logistic_growth():
    frame = weekly_frame(days=400, ids=("w",), seed=2)
    frame["spend"] = np.random.default_rng(4).uniform(0, 10, len(frame))
    frame["y"] += 5 * frame["spend"]
    model = ProphetModel(logistic=True, cap_multiple=1.5).fit(frame)
    future = complete_future_exog(frame, None, 14, ["spend"])
    future["spend"] = np.r_[np.zeros(7), np.full(7, 10.0)]
    first = model.predict(14, future)
    pd.testing.assert_frame_equal(first, model.predict(14, future))
    assert list(first.columns) == FORECAST_COLUMNS
    # a full week of spend 10 lifts the weekly mean by about 5·10 over a week without
    lift = first.yhat.iloc[7:].mean() - first.yhat.iloc[:7].mean()
    assert 35 < lift < 65
    assert (first.yhat <= 1.5 * frame.y.tail(90).max()).all()


def test_future_exog_defaults_to_last_week_and_plans_win():
    frame = weekly_frame(days=21, ids=("a",))
    frame["spend"] = np.arange(21, dtype=float)
    plan = pd.DataFrame(
        {"unique_id": ["a"], "ds": [frame.ds.max() + pd.Timedelta(days=2)], "spend": [99.0]}
    )
    future = complete_future_exog(frame, plan, 8, ["spend"])
    assert future.spend.tolist() == [14.0, 99.0, 16.0, 17.0, 18.0, 19.0, 20.0, 14.0]


def test_series_validation_rejects_gaps_and_duplicates():
    frame = weekly_frame(days=30, ids=("a",))
    with pytest.raises(ForecastingError, match="gap"):
        validate_series(frame.drop(index=5))
    with pytest.raises(ForecastingError, match="duplicated"):
        validate_series(pd.concat([frame, frame.tail(1)]))
    with pytest.raises(ForecastingError, match="non-numeric"):
        validate_series(frame.assign(y=["x"] * 30))
    with pytest.raises(ForecastingError, match="at least 63"):
        LightGBMModel().fit(frame)
    with pytest.raises(ForecastingError, match="at least 28"):
        ProfileModel().fit(frame.head(20))
