"""Shapley-value attribution, exact over every coalition of channels.

The coalition value ``v(S)`` is what the channels in ``S`` achieve without the others: the
conversions (or value) of the observed journeys whose channels all lie in ``S``. Each
channel's Shapley value averages its marginal contribution ``v(S ∪ {i}) − v(S)`` over all
coalitions with the Shapley weights ``|S|! (n − |S| − 1)! / n!``; ``v`` over all ``2ⁿ``
coalitions comes from one subset-sum (zeta) transform of the totals per exact channel set,
so the cost is ``O(n·2ⁿ)``, exact and fast up to ``MAX_CHANNELS``.
"""

from __future__ import annotations

from math import factorial

import numpy as np

from analytics.attribution.paths import PathTable
from analytics.errors import AnalyticsError

MAX_CHANNELS = 15


def channel_sets(paths: PathTable) -> np.ndarray:
    """Each path's set of channels as a bit mask."""
    bits = np.left_shift(np.int64(1), paths.steps)
    return np.bitwise_or.reduceat(bits, paths.offsets[:-1])


def coalition_values(masks: np.ndarray, amounts: np.ndarray, n: int) -> np.ndarray:
    """``v[S]`` = the amounts of the paths whose channel set is a subset of ``S``."""
    values = np.bincount(masks, weights=amounts, minlength=1 << n).astype(float)
    for channel in range(n):
        bit = 1 << channel
        with_bit = (np.arange(1 << n) & bit) != 0
        values[with_bit] += values[np.flatnonzero(with_bit) ^ bit]
    return values


def shapley_values(values: np.ndarray, n: int) -> np.ndarray:
    coalitions = np.arange(1 << n)
    sizes = np.array([bin(s).count("1") for s in range(1 << n)])
    weight = np.array([factorial(k) * factorial(n - k - 1) / factorial(n) for k in range(n)])
    result = np.zeros(n)
    for channel in range(n):
        bit = 1 << channel
        without = coalitions[(coalitions & bit) == 0]
        result[channel] = weight[sizes[without]] @ (values[without | bit] - values[without])
    return result


def shapley(paths: PathTable) -> tuple[np.ndarray, np.ndarray]:
    """Conversions and value per channel."""
    n = len(paths.channels)
    if n > MAX_CHANNELS:
        raise AnalyticsError(
            f"Shapley attribution is exact over at most {MAX_CHANNELS} channels; these journeys "
            f"have {n}: group channels or choose another model"
        )
    masks = channel_sets(paths)
    return (
        shapley_values(coalition_values(masks, paths.conversions, n), n),
        shapley_values(coalition_values(masks, paths.value, n), n),
    )
