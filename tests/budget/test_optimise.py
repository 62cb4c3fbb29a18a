"""The budget optimiser against the closed-form optimum of exponential curves, its bounds, the
current split and bad totals; the curve fit recovers a known adstock decay."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.budget.curves import ResponseCurve
from analytics.budget.curves import adstock
from analytics.budget.curves import fit_response
from analytics.budget.optimise import evaluate_split
from analytics.budget.optimise import optimise_budget
from analytics.errors import AnalyticsError
from forecasting.saturation import SaturationCurve

HORIZON = 30


def exponential(channel: str, a: float, k: float, margin_rate: float = 1.0) -> ResponseCurve:
    curve = SaturationCurve("exponential", {"base": 0.0, "a": a, "k": k}, 1.0, 10 * k)
    return ResponseCurve(channel, curve, 0.0, (), margin_rate)


CURVES = [
    exponential("search", 900, 300),
    exponential("social", 500, 100),
    exponential("tv", 2000, 1500),
]


def closed_form(curves: list[ResponseCurve], total: float) -> np.ndarray:
    """Equal marginal returns: over the horizon channel i returns H·a·(1 − exp(−x/(H·k))), so
    x_i = H·k_i·ln(a_i / (k_i·μ)) with μ set by the total."""
    a = np.array([c.curve.params["a"] for c in curves])
    k = np.array([c.curve.params["k"] for c in curves]) * HORIZON
    h = HORIZON
    log_mu = (np.sum(k * np.log(h * a / k)) - total) / k.sum()
    return k * (np.log(h * a / k) - log_mu)


def test_matches_the_closed_form_optimum():
    total = 20_000.0
    expected = closed_form(CURVES, total)
    assert (expected > 0).all()
    plan = optimise_budget(CURVES, np.array([1.0, 1.0, 1.0]), total, HORIZON)
    np.testing.assert_allclose(plan.proposed, expected, rtol=1e-5)
    marginal = [float(c.marginal(x, HORIZON)) for c, x in zip(CURVES, plan.proposed, strict=True)]
    np.testing.assert_allclose(marginal, marginal[0], rtol=1e-4)
    assert plan.proposed.sum() == pytest.approx(total)
    assert plan.uplift > 0


def test_margin_objective_weighs_each_channel_by_its_margin_rate():
    curves = [exponential("a", 1000, 200, 0.6), exponential("b", 1000, 200, 0.3)]
    plan = optimise_budget(curves, np.array([1.0, 1.0]), 6000.0, HORIZON, "margin")
    assert plan.proposed[0] > plan.proposed[1]
    revenue_plan = optimise_budget(curves, np.array([1.0, 1.0]), 6000.0, HORIZON, "revenue")
    np.testing.assert_allclose(revenue_plan.proposed, [3000, 3000], rtol=1e-5)


@pytest.mark.parametrize("seed", range(5))
def test_respects_every_bound_and_never_loses_to_the_current_split(seed):
    rng = np.random.default_rng(seed)
    curves = [exponential(f"c{i}", rng.uniform(200, 3000), rng.uniform(50, 2000)) for i in range(6)]
    current = rng.uniform(0, 5000, 6)
    total = float(current.sum())
    minimum = {"c0": 0.3 * total / 6, "c3": 0.1 * total}
    maximum = {"c1": 0.05 * total, "c2": total / 6}
    plan = optimise_budget(curves, current, total, HORIZON, minimum=minimum, maximum=maximum)
    for i, channel in enumerate(plan.channels):
        assert plan.proposed[i] >= minimum.get(channel, 0) - 1e-6
        assert plan.proposed[i] <= maximum.get(channel, total) + 1e-6
    assert plan.proposed.sum() == pytest.approx(total)
    np.testing.assert_allclose(plan.current, current)
    if all(
        minimum.get(c, 0) <= x <= maximum.get(c, total)
        for c, x in zip(plan.channels, current, strict=True)
    ):
        assert plan.uplift >= -1e-9


def test_an_already_optimal_split_is_kept():
    total = 12_000.0
    best = closed_form(CURVES, total)
    plan = optimise_budget(CURVES, best, total, HORIZON)
    assert plan.uplift == pytest.approx(0.0, abs=1e-6)
    assert plan.uplift >= -1e-9


@pytest.mark.parametrize(
    ("total", "minimum", "maximum", "message"),
    [
        (
            1000.0,
            {"search": 600, "social": 500},
            {},
            "total 1,000.00 is below the sum of the minimums 1,100.00",
        ),
        (1000.0, {}, {"search": 100, "social": 100, "tv": 100}, "above what the maximums allow"),
        (1000.0, {"radio": 10}, {}, "unknown channel 'radio'"),
        (
            1000.0,
            {"search": 300},
            {"search": 200},
            "search: the minimum 300.00 exceeds the maximum",
        ),
        (-5.0, {}, {}, "positive amount"),
        (1e308, {}, {}, "positive amount up to 1,000,000,000,000, got 1e\\+308"),
        (1000.0, {"search": -1}, {}, "must not be negative"),
    ],
)
def test_bad_bounds_are_refused_with_a_clear_message(total, minimum, maximum, message):
    with pytest.raises(AnalyticsError, match=message):
        optimise_budget(CURVES, np.ones(3), total, HORIZON, minimum=minimum, maximum=maximum)


def test_fit_recovers_the_adstock_decay_and_gives_an_uplift_interval():
    rng = np.random.default_rng(4)
    days = 400
    spend = rng.gamma(2.0, 150.0, days)
    truth = 5000 * (1 - np.exp(-adstock(spend, 0.4) / 600))
    revenue = 800 + truth + rng.normal(0, 60, days)
    curve = fit_response("search", spend, revenue, draws=20)
    assert curve.decay == 0.4
    assert curve.curve.params["a"] == pytest.approx(5000, rel=0.1)
    low, high = curve.band(300 * HORIZON, HORIZON)
    expected = HORIZON * (800 + 5000 * (1 - np.exp(-300 / 0.6 / 600)))
    assert low <= expected <= high
    other = exponential("social", 1500, 800)
    plan = optimise_budget([curve, other], np.array([300.0, 300.0]), 600.0 * HORIZON, HORIZON)
    assert plan.uplift_low <= plan.uplift <= plan.uplift_high


def test_a_split_chosen_by_hand_is_weighed_against_the_current_split_at_its_total():
    current = np.array([1_000.0, 3_000.0, 6_000.0])
    chosen = np.array([4_000.0, 2_000.0, 6_000.0])  # 12,000: the current shares scale to it
    allocation = evaluate_split(CURVES, current, chosen, HORIZON, "margin")
    assert allocation.total == pytest.approx(12_000.0)
    assert allocation.current == pytest.approx(current * 1.2)

    def worth(split):
        return sum(float(c.revenue(x, HORIZON)) for c, x in zip(CURVES, split, strict=True))

    assert allocation.uplift == pytest.approx(worth(chosen) - worth(current * 1.2))
    same = evaluate_split(CURVES, current, current, HORIZON)
    assert same.uplift == pytest.approx(0.0, abs=1e-9)
    for bad, message in (
        (np.array([1.0, -1.0, 1.0]), "non-negative"),
        (np.zeros(3), "spends nothing"),
        (np.ones(2), "one amount per channel"),
    ):
        with pytest.raises(AnalyticsError, match=message):
            evaluate_split(CURVES, current, bad, HORIZON)
