"""Markov-chain attribution by removal effect, solved exactly as an absorbing chain.

A state is the last ``order`` channels of a journey (fewer at its start). From the paths the
chain learns the start distribution ``q0``, the transitions ``Q`` between states and each
state's chance of ending in a conversion (``r``). The conversion probability from the start
is ``q0ᵀ (I − Q)⁻¹ r``: one sparse linear solve, no simulation. Removing a channel turns every
state that contains it into a dead end (the journey is lost): the same solve on the states
without it. A channel's removal effect is the share of the conversion probability lost
without it; conversions are shared out in proportion to the removal effects.

Value is attributed the same way with ``r`` replaced by each state's expected conversion value
on leaving it (the value of the paths ending there per journey leaving it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import splu

from analytics.attribution.paths import PathTable
from analytics.errors import AnalyticsError

MAX_ORDER = 4


@dataclass(frozen=True)
class AbsorbingChain:
    """The fitted chain: transient states, their channels and the absorption rewards."""

    order: int
    states: np.ndarray  # (n_states, order) channel index per lag, -1 where none (path start)
    start: np.ndarray  # q0: probability of starting in each state
    transitions: sparse.csr_matrix  # Q: state → state probabilities
    convert: np.ndarray  # r: probability of converting on leaving each state
    value: np.ndarray  # expected conversion value on leaving each state

    def contains(self, channel: int) -> np.ndarray:
        return (self.states == channel).any(axis=1)

    def absorbed(self, keep: np.ndarray | None = None) -> tuple[float, float]:
        """Conversion probability and expected value per journey from the start, with only
        the ``keep`` states left (the others lose the journey)."""
        keep = np.ones(len(self.start), dtype=bool) if keep is None else keep
        if not keep.any():
            return 0.0, 0.0
        index = np.flatnonzero(keep)
        q = self.transitions[index][:, index]
        system = (sparse.identity(len(index), format="csc") - q).tocsc()
        rewards = np.column_stack([self.convert[index], self.value[index]])
        solution = splu(system).solve(rewards)
        probability, value = self.start[index] @ solution
        return float(probability), float(value)


def fit_chain(paths: PathTable, order: int = 1) -> AbsorbingChain:
    if not isinstance(order, int | np.integer) or not 1 <= order <= MAX_ORDER:
        raise AnalyticsError(f"the Markov order must be between 1 and {MAX_ORDER}, got {order}")
    base = len(paths.channels) + 1
    if float(base) ** order >= 2**62:
        raise AnalyticsError(f"order {order} over {base - 1} channels has too many states")
    owner = paths.path_of_step
    position = paths.position
    code = np.zeros(len(paths.steps), dtype=np.int64)
    for lag in range(order):
        shifted = np.roll(paths.steps, lag) + 1
        code += np.where(position >= lag, shifted, 0) * base**lag
    codes, state_of_step = _dense_ids(code, base**order)
    n = len(codes)
    states = np.stack([(codes // base**lag) % base - 1 for lag in range(order)], axis=1)

    journeys = paths.conversions + paths.nulls
    weight = journeys[owner]
    first = paths.offsets[:-1]
    last = paths.offsets[1:] - 1
    moves = np.flatnonzero(position[1:] > 0)  # step i → i + 1 within one path
    counts = sparse.coo_matrix(
        (weight[moves], (state_of_step[moves], state_of_step[moves + 1])), shape=(n, n)
    ).tocsr()
    end_state = state_of_step[last]
    converted = np.bincount(end_state, weights=paths.conversions, minlength=n)
    lost = np.bincount(end_state, weights=paths.nulls, minlength=n)
    value = np.bincount(end_state, weights=paths.value, minlength=n)
    leaving = np.asarray(counts.sum(axis=1)).ravel() + converted + lost
    scale = np.divide(1.0, leaving, out=np.zeros(n), where=leaving > 0)
    start = np.bincount(state_of_step[first], weights=journeys, minlength=n)
    if start.sum() <= 0:
        raise AnalyticsError("the paths hold no journeys")
    return AbsorbingChain(
        order=order,
        states=states,
        start=start / start.sum(),
        transitions=sparse.diags(scale) @ counts,
        convert=converted * scale,
        value=value * scale,
    )


def _dense_ids(code: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct codes (sorted) and each code's index among them; a lookup table where the
    code range is small (no sort of a million steps), ``np.unique`` otherwise."""
    if size > 4 * len(code) + 1_000_000:
        return np.unique(code, return_inverse=True)
    present = np.zeros(size, dtype=bool)
    present[code] = True
    index = np.cumsum(present) - 1
    return np.flatnonzero(present), index[code]


@dataclass(frozen=True)
class RemovalEffects:
    probability: float  # conversion probability per journey with every channel
    value: float  # expected conversion value per journey with every channel
    conversion_effect: np.ndarray  # per channel: share of the probability lost without it
    value_effect: np.ndarray


def removal_effects(chain: AbsorbingChain, n_channels: int) -> RemovalEffects:
    probability, value = chain.absorbed()
    if probability <= 0:
        raise AnalyticsError("no journey converts, so there is nothing to attribute")
    effects = np.zeros((n_channels, 2))
    for channel in range(n_channels):
        without = chain.absorbed(~chain.contains(channel))
        effects[channel] = without
    conversion_effect = 1 - effects[:, 0] / probability
    value_effect = 1 - effects[:, 1] / value if value > 0 else np.zeros(n_channels)
    return RemovalEffects(probability, value, conversion_effect, value_effect)


def markov(paths: PathTable, order: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Conversions, value and removal effect per channel."""
    effects = removal_effects(fit_chain(paths, order), len(paths.channels))
    return (
        _shared(paths.total_conversions, effects.conversion_effect),
        _shared(paths.total_value, effects.value_effect),
        effects.conversion_effect,
    )


def _shared(total: float, effect: np.ndarray) -> np.ndarray:
    positive = np.clip(effect, 0.0, None)
    return total * positive / positive.sum() if positive.sum() > 0 else np.zeros_like(effect)
