"""The classical and intermittent-demand candidates, each on a case whose answer is known."""

import numpy as np
import pandas as pd
import pytest

from forecasting.models import ETS
from forecasting.models import SBA
from forecasting.models import TSB
from forecasting.models import AutoARIMA
from forecasting.models import Croston
from forecasting.models import Naive
from forecasting.models import Theta
from forecasting.models.arima import integrate
from forecasting.models.arima import seasonal_strength
from forecasting.models.intermittent import croston_state
from forecasting.models.intermittent import tsb_state
from forecasting.series import FORECAST_COLUMNS
from forecasting.series import frequency
from forecasting.series import season_length
from forecasting.training import candidate_models
from forecasting.training import intermittent_series

WEEK = np.array([1.0, 0.9, 0.95, 1.0, 1.2, 1.4, 1.3])


def frame_of(y, freq="D", uid="s", start="2024-01-01"):
    days = pd.date_range(start, periods=len(y), freq=freq)
    return pd.DataFrame({"unique_id": uid, "ds": days, "y": np.asarray(y, dtype=float)})


def weekly(days=140, level=100.0, noise=0.5, seed=0):
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-01-01", periods=days, freq="D")
    return level * WEEK[ds.day_of_week] + rng.normal(0, noise, days)


def test_frequency_and_season_are_read_from_the_dates():
    assert frequency(frame_of(np.ones(30), "MS")) == "MS"
    assert season_length("MS") == 12 and season_length("QS-JAN") == 4
    assert season_length("D") == 7


def test_naive_carries_the_last_value():
    got = Naive().fit(frame_of([3.0, 5.0, 4.0, 8.0])).predict(3)
    assert list(got.columns) == FORECAST_COLUMNS
    assert got.yhat.tolist() == [8.0, 8.0, 8.0]
    # the interval widens like a random walk's: the steps' sd times √h
    half = (got.yhat_upper - got.yhat_lower).to_numpy() / 2
    np.testing.assert_allclose(half / half[0], np.sqrt([1, 2, 3]))


def test_ets_recovers_a_weekly_pattern_and_a_level():
    y = weekly()
    got = ETS().fit(frame_of(y)).predict(14)
    truth = 100 * WEEK[pd.DatetimeIndex(got.ds).day_of_week]
    assert np.abs(got.yhat.to_numpy() / truth - 1).max() < 0.02
    flat = ETS().fit(frame_of(50 + np.random.default_rng(1).normal(0, 0.5, 60))).predict(5)
    assert np.abs(flat.yhat - 50).max() < 0.5


def test_ets_uses_no_multiplicative_form_on_series_with_zeros():
    y = weekly(noise=3, seed=2)
    y[::9] = 0.0
    fitted = ETS().fit(frame_of(y))
    model = fitted._states["s"][0].model
    assert model.error == "add" and model.seasonal in ("add", None)


def test_theta_follows_the_trend_and_the_monthly_season():
    """Theta on seasonally adjusted data is SES plus half the linear trend's slope: on a
    noiseless line with a monthly pattern it keeps rising and keeps the pattern."""
    months = np.arange(120)
    pattern = 1 + 0.2 * np.sin(2 * np.pi * months / 12)
    y = (200 + 2 * months) * pattern
    got = Theta().fit(frame_of(y, "MS")).predict(12)
    future = np.arange(120, 132)
    truth = (200 + 2 * future) * (1 + 0.2 * np.sin(2 * np.pi * future / 12))
    assert np.abs(got.yhat.to_numpy() / truth - 1).max() < 0.03
    assert (got.yhat.to_numpy() > y[-12:]).all()  # above the same month a year before


def test_arima_integrates_differences_back():
    y = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    # (1 - B)(1 - B^2) y is zero for a line; forecasts of zero differences continue the line
    np.testing.assert_allclose(integrate(np.zeros(3), y, d=1, big_d=1, season=2), [11, 12, 13])
    np.testing.assert_allclose(integrate(np.array([1.0, 1.0]), y, d=0, big_d=1, season=2), [10, 11])
    np.testing.assert_allclose(integrate(np.array([1.0, 1.0]), y, d=1, big_d=0, season=2), [11, 12])


def test_arima_on_a_seasonal_random_walk_repeats_the_last_season():
    rng = np.random.default_rng(4)
    y = np.tile(100 * WEEK, 15) + np.cumsum(rng.normal(0, 0.3, 105))
    assert seasonal_strength(y, 7) > 0.9
    assert seasonal_strength(rng.normal(0, 1, 105), 7) < 0.3
    got = AutoARIMA().fit(frame_of(y)).predict(7)
    np.testing.assert_allclose(got.yhat.to_numpy(), y[-7:], rtol=0.02)


def test_croston_sba_and_tsb_by_hand():
    y = np.array([0, 0, 3, 0, 0, 0, 5, 0, 2], dtype=float)
    # demands at 3, 5, 2 (positions 3, 7, 9): size 3 → 3.2 → 3.08, interval 3 → 3.1 → 2.99
    assert croston_state(y) == pytest.approx((3.08, 2.99))
    # TSB: probability from 3/9, towards 0 on the empty days and 1 on the demand days
    probability, size = tsb_state(y)
    assert probability == pytest.approx(0.358147) and size == pytest.approx(3.08)
    frame = frame_of(y)
    assert Croston().fit(frame).predict(2).yhat.tolist() == pytest.approx([3.08 / 2.99] * 2)
    assert SBA().fit(frame).predict(1).yhat.iloc[0] == pytest.approx(0.95 * 3.08 / 2.99)
    assert TSB().fit(frame).predict(1).yhat.iloc[0] == pytest.approx(0.358147 * 3.08, rel=1e-5)


def test_intermittent_methods_estimate_the_rate_of_a_known_sparse_series():
    """Demand on a fifth of the days, of size 5: one unit a day on average."""
    rng = np.random.default_rng(6)
    y = np.where(rng.uniform(size=400) < 0.2, 5.0, 0.0)
    frame = frame_of(y, uid="sparse")
    for model in (Croston(), SBA(), TSB()):
        rate = model.fit(frame).predict(7).yhat
        assert 0.6 < rate.iloc[0] < 1.4 and (rate == rate.iloc[0]).all()
    both = pd.concat([frame, frame_of(weekly(400), uid="busy")])
    assert intermittent_series(both) == ["sparse"]
    assert {"croston", "sba", "tsb"} <= set(candidate_models("auto", both))
    assert not {"croston", "sba", "tsb"} & set(candidate_models("auto", frame_of(weekly(400))))
