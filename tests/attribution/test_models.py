"""Attribution models on small journeys worked by hand and on generated journeys checked against
independent computations (a dense solve and a simulation of the same Markov chain, Shapley
values from every ordering of the channels)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from analytics.attribution import MODELS
from analytics.attribution import attribute
from analytics.attribution import path_table
from analytics.attribution.markov import fit_chain
from analytics.attribution.markov import removal_effects
from analytics.errors import AnalyticsError

CHANNELS = ["A", "B", "C"]


@pytest.fixture
def small():
    """A > B > C converts once (value 10) and is lost once; B > C converts twice (20);
    A is lost three times; C > A converts once (5) and is lost twice."""
    return path_table(
        [["A", "B", "C"], ["B", "C"], ["A"], ["C", "A"]],
        conversions=[1, 2, 0, 1],
        value=[10, 20, 0, 5],
        nulls=[1, 0, 3, 2],
        ages=[[10, 3, 0], [7, 0], [0], [14, 0]],
    )


def by_channel(paths, model, **params):
    result = attribute(paths, model, **params).set_index("channel")
    return result.loc[CHANNELS, "conversions"].to_numpy(), result.loc[CHANNELS, "value"].to_numpy()


@pytest.mark.parametrize(
    ("model", "conversions", "value"),
    [
        ("first", [1, 2, 1], [10, 20, 5]),
        ("last", [1, 0, 3], [5, 0, 30]),
        # A: 1/3 of ABC + 1/2 of CA; B: 1/3 + 2 × 1/2; C: 1/3 + 2 × 1/2 + 1/2
        (
            "linear",
            [1 / 3 + 1 / 2, 1 / 3 + 1, 1 / 3 + 1 + 1 / 2],
            [10 / 3 + 2.5, 10 / 3 + 10, 10 / 3 + 10 + 2.5],
        ),
        # ABC: .4/.2/.4; BC and CA: .5/.5
        ("position", [0.4 + 0.5, 0.2 + 1, 0.4 + 1 + 0.5], [4 + 2.5, 2 + 10, 4 + 10 + 2.5]),
    ],
)
def test_rule_based_models_by_hand(small, model, conversions, value):
    got_conversions, got_value = by_channel(small, model)
    np.testing.assert_allclose(got_conversions, conversions, rtol=1e-12)
    np.testing.assert_allclose(got_value, value, rtol=1e-12)


def test_time_decay_by_hand(small):
    # Half-life 7 days: a touch 7 days before the conversion weighs half the converting one.
    abc = np.array([2 ** (-10 / 7), 2 ** (-3 / 7), 1.0])
    abc /= abc.sum()
    bc = np.array([0.5, 1.0]) / 1.5
    ca = np.array([0.25, 1.0]) / 1.25
    expected = [abc[0] + ca[1], abc[1] + 2 * bc[0], abc[2] + 2 * bc[1] + ca[0]]
    got, value = by_channel(small, "time_decay", half_life=7)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(
        value,
        [10 * abc[0] + 5 * ca[1], 10 * abc[1] + 20 * bc[0], 10 * abc[2] + 20 * bc[1] + 5 * ca[0]],
    )


def test_markov_order_one_by_hand():
    # A converts once and is lost once; A > B converts once and is lost twice: five journeys.
    # A: → B 3/5, conversion 1/5, loss 1/5; B: conversion 1/3, loss 2/3.
    # P = 1/5 + 3/5 × 1/3 = 2/5; without A: 0; without B: 1/5.
    paths = path_table([["A"], ["A", "B"]], conversions=[1, 1], nulls=[1, 2])
    result = attribute(paths, "markov").set_index("channel")
    effect = np.array([1.0, 1 - (1 / 5) / (2 / 5)])
    np.testing.assert_allclose(result["removal_effect"].to_numpy(), effect, rtol=1e-12)
    np.testing.assert_allclose(result["conversions"].to_numpy(), [4 / 3, 2 / 3], rtol=1e-12)


def random_journeys(seed: int, n_paths: int = 400, n_channels: int = 6, max_length: int = 6):
    rng = np.random.default_rng(seed)
    names = [f"ch{i:02d}" for i in range(n_channels)]
    paths = [list(rng.choice(names, size=rng.integers(1, max_length + 1))) for _ in range(n_paths)]
    conversions = rng.poisson(1.0, n_paths).astype(float)
    nulls = rng.poisson(3.0, n_paths).astype(float)
    value = conversions * rng.gamma(4, 25, n_paths)
    conversions[0] = max(conversions[0], 1)
    return path_table(paths, conversions, value, nulls), paths, conversions, value, nulls


@pytest.mark.parametrize("model", list(MODELS))
def test_every_model_attributes_exactly_the_total(model):
    paths = random_journeys(1)[0]
    for params in ({"order": 1}, {"order": 2}, {"order": 3}) if model == "markov" else ({},):
        result = attribute(paths, model, **params)
        assert result["conversions"].sum() == pytest.approx(paths.total_conversions, rel=1e-12)
        assert result["value"].sum() == pytest.approx(paths.total_value, rel=1e-12)
        assert (result["conversions"] >= -1e-12).all()


def dense_chain(paths: list[list[str]], conversions, value, nulls, order: int):
    """The absorbing chain built path by path in plain Python, as a dense matrix."""
    counts: dict[tuple, dict] = {}
    starts: dict[tuple, float] = {}
    ends: dict[tuple, list[float]] = {}
    for path, conv, val, null in zip(paths, conversions, value, nulls, strict=True):
        journeys = conv + null
        states = [tuple(path[max(0, i - order + 1) : i + 1]) for i in range(len(path))]
        starts[states[0]] = starts.get(states[0], 0) + journeys
        for a, b in itertools.pairwise(states):
            counts.setdefault(a, {})
            counts[a][b] = counts[a].get(b, 0) + journeys
        end = ends.setdefault(states[-1], [0.0, 0.0, 0.0])
        end[0] += conv
        end[1] += null
        end[2] += val
    names = sorted(set(starts) | set(ends) | set(counts) | {b for d in counts.values() for b in d})
    index = {s: i for i, s in enumerate(names)}
    n = len(names)
    q = np.zeros((n, n))
    r = np.zeros((n, 2))
    for state in names:
        out = counts.get(state, {})
        conv, null, val = ends.get(state, [0.0, 0.0, 0.0])
        total = sum(out.values()) + conv + null
        for other, count in out.items():
            q[index[state], index[other]] = count / total
        r[index[state]] = [conv / total, val / total]
    q0 = np.zeros(n)
    for state, count in starts.items():
        q0[index[state]] = count
    return names, q0 / q0.sum(), q, r


def dense_removal_effects(names, q0, q, r, channels):
    def absorbed(keep):
        k = np.flatnonzero(keep)
        return q0[k] @ np.linalg.solve(np.eye(len(k)) - q[np.ix_(k, k)], r[k])

    full = absorbed(np.ones(len(names), dtype=bool))
    effects = []
    for channel in channels:
        without = absorbed(np.array([channel not in s for s in names]))
        effects.append(1 - without / full)
    return full, np.array(effects)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_markov_removal_effects_equal_a_dense_solve(order):
    table, paths, conversions, value, nulls = random_journeys(7 + order)
    effects = removal_effects(fit_chain(table, order), len(table.channels))
    full, dense = dense_removal_effects(
        *dense_chain(paths, conversions, value, nulls, order), table.channels
    )
    assert effects.probability == pytest.approx(full[0], abs=1e-12)
    assert effects.value == pytest.approx(full[1], rel=1e-12)
    np.testing.assert_allclose(effects.conversion_effect, dense[:, 0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(effects.value_effect, dense[:, 1], rtol=0, atol=1e-9)


def test_order_one_conversion_probability_is_the_observed_rate():
    table = random_journeys(3)[0]
    effects = removal_effects(fit_chain(table, 1), len(table.channels))
    observed = table.total_conversions / (table.conversions + table.nulls).sum()
    assert effects.probability == pytest.approx(observed, rel=1e-12)


def test_markov_agrees_with_a_simulation_of_the_same_chain():
    table, paths, conversions, value, nulls = random_journeys(5, n_paths=200, n_channels=4)
    names, q0, q, r = dense_chain(paths, conversions, value, nulls, 1)
    effects = removal_effects(fit_chain(table, 1), len(table.channels))
    rng = np.random.default_rng(0)
    walks = 200_000
    n = len(names)
    # Next step of each state: transient states, then conversion (n), then loss (n + 1).
    step = np.column_stack([q, r[:, 0], 1 - q.sum(axis=1) - r[:, 0]]).cumsum(axis=1)
    state = np.searchsorted(q0.cumsum(), rng.random(walks), side="right")
    visited = np.zeros((walks, len(table.channels)), dtype=bool)
    channel_of = np.array([table.channels.index(s[0]) for s in names])
    alive = np.ones(walks, dtype=bool)
    converted = np.zeros(walks, dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        visited[idx, channel_of[state[idx]]] = True
        nxt = (step[state[idx]] < rng.random(len(idx))[:, None]).sum(axis=1)
        nxt = np.minimum(nxt, n + 1)
        converted[idx[nxt == n]] = True
        alive[idx[nxt >= n]] = False
        state[idx[nxt < n]] = nxt[nxt < n]
    p = converted.mean()
    assert abs(p - effects.probability) < 4 * math.sqrt(p * (1 - p) / walks)
    for channel in range(len(table.channels)):
        p_without = (converted & ~visited[:, channel]).mean()
        se = math.sqrt(p_without * (1 - p_without) / walks)
        expected = effects.probability * (1 - effects.conversion_effect[channel])
        assert abs(p_without - expected) < 4 * se + 1e-12


def permutation_shapley(paths, conversions, channels):
    """Shapley values as the average marginal contribution over every ordering."""

    def v(coalition):
        return sum(c for p, c in zip(paths, conversions, strict=True) if set(p) <= coalition)

    totals = dict.fromkeys(channels, 0.0)
    orderings = list(itertools.permutations(channels))
    for ordering in orderings:
        seen: set = set()
        for channel in ordering:
            totals[channel] += v(seen | {channel}) - v(seen)
            seen.add(channel)
    return np.array([totals[c] / len(orderings) for c in channels])


def test_shapley_equals_the_average_over_orderings_and_sums_to_the_total():
    table, paths, conversions, _, _ = random_journeys(11, n_paths=60, n_channels=5, max_length=4)
    result = attribute(table, "shapley").set_index("channel")
    expected = permutation_shapley(paths, conversions, list(table.channels))
    np.testing.assert_allclose(result.loc[list(table.channels), "conversions"], expected, atol=1e-9)
    assert result["conversions"].sum() == pytest.approx(table.total_conversions, rel=1e-12)


def test_shapley_symmetry_and_null_player():
    # A and B play the same role (each alone and together with C); D only in lost journeys.
    paths = path_table(
        [["A"], ["B"], ["A", "C"], ["B", "C"], ["A", "B"], ["D"], ["D", "C"], ["C"]],
        conversions=[3, 3, 2, 2, 4, 0, 0, 1],
        value=[30, 30, 20, 20, 40, 0, 0, 10],
        nulls=[1, 1, 0, 0, 0, 5, 4, 2],
    )
    result = attribute(paths, "shapley").set_index("channel")
    assert result.at["A", "conversions"] == pytest.approx(result.at["B", "conversions"], abs=1e-12)
    assert result.at["A", "value"] == pytest.approx(result.at["B", "value"], abs=1e-12)
    assert result.at["D", "conversions"] == pytest.approx(0.0, abs=1e-12)
    assert result["conversions"].sum() == pytest.approx(15.0)


def test_shapley_refuses_more_channels_than_it_can_solve_exactly():
    paths = path_table([[f"c{i}" for i in range(16)]], conversions=[1])
    with pytest.raises(AnalyticsError, match="at most 15 channels"):
        attribute(paths, "shapley")


def test_bad_parameters_are_refused(small):
    with pytest.raises(AnalyticsError, match="Markov order"):
        attribute(small, "markov", order=0)
    with pytest.raises(AnalyticsError, match="half-life"):
        attribute(small, "time_decay", half_life=0)
    with pytest.raises(AnalyticsError, match="unknown attribution model"):
        attribute(small, "u-shaped")
    with pytest.raises(AnalyticsError, match="no conversions"):
        path_table([["A"]], conversions=[0], nulls=[4])
    with pytest.raises(AnalyticsError, match="no touches"):
        path_table([["A"], []], conversions=[1, 1])
