"""The margin-maximising price under a volume floor, against closed forms and a grid search."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.errors import AnalyticsError
from analytics.pricing.elasticity import Elasticity
from analytics.pricing.recommend import recommend_price


def estimate(value: float, half_width: float = 0.2, warning: str = "") -> Elasticity:
    return Elasticity(
        value, half_width / 1.96, value - half_width, value + half_width, "ols", 200, None, warning
    )


def grid_margin(elasticity, price, cost, units, floor, max_change):
    ratios = np.linspace(1 - max_change, 1 + max_change, 200_001)
    q = units * ratios**elasticity
    margin = (price * ratios - cost) * q
    margin[q < floor * units - 1e-9] = -np.inf
    return ratios[np.argmax(margin)]


@pytest.mark.parametrize(
    ("elasticity", "cost", "floor", "max_change", "expected"),
    [
        (-3.0, 50.0, 0.5, 0.3, 0.75),  # Lerner: 0.5 × 3 / 2
        (-3.0, 50.0, 0.5, 0.15, 0.85),  # … but no further than the data has seen
        (-0.5, 50.0, 0.95, 0.3, 0.95**-2),  # inelastic: up to the volume floor
        (-2.0, 70.0, 0.8, 0.5, 0.8 ** (-1 / 2)),  # optimum 1.4 is above the floor's 1.118
    ],
)
def test_price_matches_the_closed_form_and_a_grid_search(
    elasticity, cost, floor, max_change, expected
):
    rec = recommend_price(estimate(elasticity), 100.0, cost, 1000.0, floor, max_change)
    assert 1 + rec.price_change == pytest.approx(expected, rel=1e-9)
    best = grid_margin(elasticity, 100.0, cost, 1000.0, floor, max_change)
    assert 1 + rec.price_change == pytest.approx(best, abs=2e-5)
    ratio = 1 + rec.price_change
    assert rec.units_change == pytest.approx(1000 * (ratio**elasticity - 1))
    assert rec.revenue_change == pytest.approx(100 * 1000 * (ratio ** (1 + elasticity) - 1))
    margin_after = (100 * ratio - cost) * 1000 * ratio**elasticity
    assert rec.margin_change == pytest.approx(margin_after - (100 - cost) * 1000)
    assert rec.margin_change >= 0 and rec.units_change >= (floor - 1) * 1000 - 1e-6


@pytest.mark.parametrize("floor", [0.01, 0.5, 0.95, 1.0])
@pytest.mark.parametrize("elasticity", [-0.003, -0.0005, -1e-5, -2.0])
def test_any_floor_the_page_accepts_gives_a_price_near_a_zero_elasticity(elasticity, floor):
    """``floor^(1/ε)`` overflowed a float as ε or an interval end neared 0 (HTTP 500 on the
    Pricing page at a 1 % floor): the price cap binds there, the volume floor does not."""
    value = Elasticity(elasticity, 0.4, elasticity - 0.8, -elasticity / 2, "ols", 2000, None, "")
    rec = recommend_price(value, 60.0, 30.0, 100.0, volume_floor=floor)
    best = grid_margin(elasticity, 60.0, 30.0, 100.0, floor, 0.15)
    assert 1 + rec.price_change == pytest.approx(best, abs=2e-5)
    assert -0.15 - 1e-12 <= rec.change_low <= rec.change_high <= 0.15 + 1e-12
    assert np.isfinite([rec.units_change, rec.revenue_change, rec.margin_change]).all()


def test_the_range_spans_the_interval_ends():
    rec = recommend_price(estimate(-3.0, 0.5), 100.0, 50.0, 1000.0, 0.5, 0.3)
    low = 0.5 * -3.5 / -2.5
    high = 0.5 * -2.5 / -1.5
    assert (1 + rec.change_low, 1 + rec.change_high) == pytest.approx((low, high))


def test_uncertain_estimates_are_not_actionable():
    rec = recommend_price(estimate(-0.3, 0.6, "the 95 % interval includes zero"), 10, 5, 100)
    assert not rec.actionable and "includes zero" in rec.warning


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"volume_floor": 0}, "volume floor"),
        ({"volume_floor": 1.2}, "volume floor"),
        ({"max_change": 1.5}, "largest price change"),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(AnalyticsError, match=message):
        recommend_price(estimate(-2.0), 10, 5, 100, **kwargs)
