"""The stepwise auto-ARIMA: its filters against direct recursions, and the orders it picks on
simulated series whose orders are known."""

import numpy as np
import pytest
from scipy.signal import lfilter

from forecasting.models.arima import AutoARIMA
from forecasting.models.arima import Order
from forecasting.models.arima import _residuals
from forecasting.models.arima import first_differences
from forecasting.models.arima import fit_css
from forecasting.models.arima import forecast_arma
from forecasting.models.arima import integrate
from forecasting.models.arima import stepwise


def arma(ar, ma, n, seed, burn=200):
    """An ARMA series with N(0, 1) errors (``ar``, ``ma``: coefficients of lags 1, 2, ...)."""
    e = np.random.default_rng(seed).normal(0, 1, n + burn)
    return lfilter(np.r_[1.0, ma], np.r_[1.0, -np.asarray(ar)], e)[burn:]


def test_css_residuals_follow_the_seasonal_arma_recursion():
    """(1 - phi B)(1 - Phi B^4) x_t = (1 + theta B) e_t, errors before the fifth value taken
    as zero (conditional sum of squares)."""
    rng = np.random.default_rng(1)
    w = rng.normal(5, 1, 30)
    phi, theta, big_phi, mean = 0.5, 0.3, -0.4, 5.0
    order = Order(1, 1, 1, 0, True)
    x = w - mean
    e = np.zeros(30)
    for t in range(5, 30):
        ar_part = x[t] - phi * x[t - 1] - big_phi * x[t - 4] + phi * big_phi * x[t - 5]
        e[t] = ar_part - theta * e[t - 1]
    got = _residuals(np.array([phi, theta, big_phi, mean]), w, order, 4)
    np.testing.assert_allclose(got, e[5:])


def test_an_ar1_forecast_decays_to_its_mean():
    w = np.array([10.0, 12.0, 11.0, 13.0, 12.5, 11.0, 12.0, 14.0])
    order = Order(1, 0, 0, 0, True)
    fit = fit_css(w, order, 1)
    phi, mean = fit.params
    expected = mean + phi ** np.arange(1, 4) * (14.0 - mean)
    np.testing.assert_allclose(forecast_arma(fit, w, 1, 3), expected)


def test_integrate_undoes_two_first_differences():
    y = np.arange(1.0, 9.0) ** 2  # second differences are all 2
    np.testing.assert_allclose(
        integrate(np.full(3, 2.0), y, d=2, big_d=0, season=1), [81, 100, 121]
    )


def test_the_search_finds_an_ar2_with_its_mean():
    """AICc picks the true order for 7 of the seeds 0-9 (a (2,2), (2,1) or (3,1) for the
    others); this is seed 0."""
    w = 50 + arma([0.6, -0.3], [], 600, seed=0)
    fit = stepwise(w, season=1, seasonal=False, constant_allowed=True)
    assert fit.order == Order(2, 0, 0, 0, True)
    np.testing.assert_allclose(fit.params, [0.6, -0.3, 50], atol=0.1)


def test_the_search_differences_an_ima11_once_and_finds_its_ma_term():
    """One difference for each of the seeds 0-9; (0, 1) for 6 of them (the conditional sum of
    squares prefers an ARMA with a near-cancelling AR term for the others); seed 0."""
    y = 100 + np.cumsum(arma([], [0.6], 500, seed=0))
    assert first_differences(y) == 1
    fit = stepwise(np.diff(y), season=1, seasonal=False, constant_allowed=True)
    assert (fit.order.p, fit.order.q) == (0, 1)
    assert fit.params[0] == pytest.approx(0.6, abs=0.1)


def test_auto_arima_picks_the_airline_model_of_a_simulated_airline_series():
    """(1 - B)(1 - B^12) y_t = (1 - 0.4 B)(1 - 0.6 B^12) e_t around a fixed monthly pattern
    (which the seasonal difference removes), twenty years of months. Both differences for each
    of the seeds 0-5, the exact orders for 2 of them, 3 and 5 (the others add seasonal AR or
    MA terms); seed 3."""
    months = np.arange(240)
    ma = np.convolve([1, -0.4], np.r_[1, np.zeros(11), -0.6])[1:]
    z = arma([], ma, len(months), seed=3)
    pattern = 20 * np.sin(2 * np.pi * months / 12)
    y = 1000 + pattern + integrate(z, np.zeros(13), d=1, big_d=1, season=12)
    fit, series, lags, season, _logged = AutoARIMA().fit_one(y, 12)
    assert sorted(lags) == [1, 12]
    assert (fit.order.p, fit.order.q, fit.order.sp, fit.order.sq) == (0, 1, 0, 1)
    np.testing.assert_allclose(fit.params, [-0.4, -0.6], atol=0.15)
