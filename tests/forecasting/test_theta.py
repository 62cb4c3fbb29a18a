"""The dynamic optimised Theta model against a hand computation and known cases."""

import numpy as np
import pandas as pd
import pytest

from forecasting.models import Theta
from forecasting.models.theta import dynamic_trend
from forecasting.models.theta import fitted_values
from forecasting.models.theta import forecast_dotm
from forecasting.models.theta import has_season


def test_the_trend_line_is_the_least_squares_line_of_each_prefix():
    y = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0])
    intercept, slope, mean = dynamic_trend(y)
    for t in range(1, len(y)):
        b, a = np.polyfit(np.arange(1, t + 2), y[: t + 1], 1)
        assert slope[t] == pytest.approx(b) and intercept[t] == pytest.approx(a)
        assert mean[t] == pytest.approx(y[: t + 1].mean())


def test_dotm_by_hand_on_three_values():
    """l0 = 0.5, alpha = 0.5, theta = 2 on y = 1, 2, 4 (Fiorucci et al.'s recursions):
    l_1 = 0.75 and mu_2 = 0.75 + 0.5 * (1 * 0.5) = 1; l_2 = 1.375, the line through (1, 1) and
    (2, 2) has A = 0, B = 1, so mu_3 = 1.375 + 0.5 * (0 * 0.25 + 1 * (1 - 0.125) / 0.5) = 2.25;
    l_3 = 2.6875, the line through all three has A = -2/3, B = 1.5, so the forecast is
    2.6875 + 0.5 * (-2/3 * 0.125 + 1.5 * (1 - 0.0625) / 0.5)."""
    y = np.array([1.0, 2.0, 4.0])
    params = np.array([0.5, 0.5, 2.0])
    np.testing.assert_allclose(fitted_values(params, y, dynamic_trend(y)), [1.0, 2.25])
    expected = 2.6875 + 0.5 * (-2 / 3 / 8 + 1.5 * 0.9375 / 0.5)
    assert forecast_dotm(params, y, 1)[0] == pytest.approx(expected)


def test_dotm_continues_a_straight_line():
    y = 10 + 2.0 * np.arange(40)
    frame = pd.DataFrame(
        {"unique_id": "s", "ds": pd.date_range("2020-01-01", periods=40, freq="MS"), "y": y}
    )
    got = Theta().fit(frame).predict(6).yhat.to_numpy()
    np.testing.assert_allclose(got, 10 + 2.0 * np.arange(40, 46), rtol=0.01)


def test_the_seasonality_test_finds_a_monthly_season_and_not_noise():
    rng = np.random.default_rng(3)
    months = np.arange(96)
    assert has_season(100 + 10 * np.sin(2 * np.pi * months / 12) + rng.normal(0, 1, 96), 12)
    assert not has_season(100 + rng.normal(0, 1, 96), 12)
