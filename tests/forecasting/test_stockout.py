import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecasting.stockout import days_of_cover
from forecasting.stockout import risk_from_forecast
from forecasting.stockout import sd_from_interval
from forecasting.stockout import stockout_risk


def test_poisson_demand_matches_the_poisson_tail():
    rate, on_hand, horizon = 4.0, 30, 14
    risk = stockout_risk(on_hand, np.full(horizon, rate), distribution="poisson")
    for t in (1, 5, 7, 10, 14):
        # stock-out by day t ⇔ Poisson(rate·t) demand reaches the 30 units on hand
        expected = 1 - stats.poisson.cdf(on_hand - 1, rate * t)
        assert risk.probability_by_day[t - 1] == pytest.approx(expected, rel=1e-12)
    assert risk.probability == pytest.approx(1 - stats.poisson.cdf(29, 56))
    assert risk.days_of_cover == pytest.approx(7.5)


def test_sample_paths_agree_with_the_exact_poisson_answer():
    rng = np.random.default_rng(7)
    paths = rng.poisson(4.0, size=(20000, 10))
    risk = stockout_risk(30, samples=paths)
    exact = stats.poisson.sf(29, 4.0 * np.arange(1, 11))
    assert np.abs(risk.probability_by_day - exact).max() < 0.015


def test_expected_stockout_day_and_date():
    # normal demand, mean 10/day, sd 3/day, 50 on hand: day t risk = P(N(10t, 9t) ≥ 50)
    days = np.arange(1, 11)
    by_day = 1 - stats.norm.cdf(50, loc=10 * days, scale=3 * np.sqrt(days))
    on_day = np.diff(by_day, prepend=0.0)
    expected_day = float((days * on_day).sum() / by_day[-1])
    start = pd.Timestamp("2025-03-01")
    risk = stockout_risk(50, np.full(10, 10.0), np.full(10, 3.0), start=start)
    np.testing.assert_allclose(risk.probability_by_day, by_day, rtol=1e-9, atol=1e-12)
    assert risk.expected_day == pytest.approx(expected_day)
    assert 5 < risk.expected_day < 6
    assert risk.expected_date == start + pd.Timedelta(days=round(expected_day) - 1)


def test_days_of_cover():
    assert days_of_cover(25, [10, 10, 10]) == pytest.approx(2.5)
    # past the forecast, the last week's mean (here 5) continues
    assert days_of_cover(40, [5, 5, 5, 5]) == pytest.approx(4 + 20 / 5)
    assert days_of_cover(0, [1, 2]) == 0.0
    assert days_of_cover(10, [0, 0]) == float("inf")


def test_risk_from_a_forecast_interval():
    z = stats.norm.ppf(0.9)
    forecast = pd.DataFrame(
        {
            "ds": pd.date_range("2025-01-01", periods=5),
            "yhat": 20.0,
            "yhat_lower": 20.0 - 4 * z,
            "yhat_upper": 20.0 + 4 * z,
        }
    )
    np.testing.assert_allclose(sd_from_interval(forecast.yhat_lower, forecast.yhat_upper), 4.0)
    risk = risk_from_forecast(70, forecast)
    assert risk.probability_by_day[3] == pytest.approx(stats.norm.sf(70, 80, 8.0))
    assert risk.start == pd.Timestamp("2025-01-01")
