import numpy as np
import pytest

from forecasting.errors import ForecastingError
from forecasting.saturation import fit_saturation


def _pairs(form_response, seed=0, n=400, noise=0.02):
    rng = np.random.default_rng(seed)
    spend = rng.uniform(0, 5000, n)
    clean = form_response(spend)
    return spend, clean * (1 + rng.normal(0, noise, n))


def test_exponential_curve_recovers_known_parameters():
    base, a, k = 2000.0, 12000.0, 1500.0
    spend, revenue = _pairs(lambda s: base + a * (1 - np.exp(-s / k)))
    curve = fit_saturation(spend, revenue, "exponential")
    assert curve.params["a"] == pytest.approx(a, rel=0.05)
    assert curve.params["k"] == pytest.approx(k, rel=0.08)
    assert curve.params["base"] == pytest.approx(base, rel=0.1)
    assert curve.r_squared > 0.9
    # marginal return a/k·exp(-s/k) falls to 1 revenue per unit spend at s = k·ln(a/k)
    assert curve.spend_at_marginal(1.0) == pytest.approx(k * np.log(a / k), rel=0.05)
    assert float(curve.marginal(curve.spend_at_marginal(1.0))) == pytest.approx(1.0, rel=1e-6)


def test_hill_curve_and_its_stop_point():
    base, a, k, n = 500.0, 10000.0, 2000.0, 2.0
    spend, orders = _pairs(lambda s: base + a * s**n / (k**n + s**n), seed=1)
    curve = fit_saturation(spend, orders, "hill")
    assert curve.params["k"] == pytest.approx(k, rel=0.08)
    assert curve.params["n"] == pytest.approx(n, rel=0.1)
    # independent check: numeric derivative of the true curve and a root by bisection
    true = lambda s: base + a * s**n / (k**n + s**n)  # noqa: E731
    grid = np.linspace(k, 50 * k, 200001)
    slope = (true(grid + 0.5) - true(grid - 0.5)) / 1.0
    expected = grid[np.argmax(slope < 0.5)]
    assert curve.spend_at_marginal(0.5) == pytest.approx(expected, rel=0.08)
    points = curve.points(n=20)
    assert list(points.columns) == ["spend", "response", "marginal"]
    assert points["response"].is_monotonic_increasing


def test_log_curve_marginal_and_bad_input():
    spend, revenue = _pairs(lambda s: 100 + 3000 * np.log1p(s / 800), seed=2)
    curve = fit_saturation(spend, revenue, "log")
    # marginal a/(k+s) = 2 at s = a/2 - k
    a, k = curve.params["a"], curve.params["k"]
    assert curve.spend_at_marginal(2.0) == pytest.approx(a / 2 - k)
    assert a == pytest.approx(3000, rel=0.1)
    with pytest.raises(ForecastingError):
        fit_saturation([1.0] * 20, list(range(20)))
    with pytest.raises(ForecastingError):
        fit_saturation(spend, revenue, "cubic")
