"""Rule-based attribution: each touch gets a fixed share of its journey's conversions.

Every rule gives each step a weight, the weights of one path summing to 1; a channel's
credit is the sum over its steps of weight × the path's conversions (or value).
"""

from __future__ import annotations

import numpy as np

from analytics.attribution.paths import PathTable
from analytics.errors import AnalyticsError

POSITION_ENDS = 0.4  # position based: 40 % to the first and the last touch, 20 % between


def first_touch(paths: PathTable) -> np.ndarray:
    return (paths.position == 0).astype(float)


def last_touch(paths: PathTable) -> np.ndarray:
    return (paths.position == paths.lengths[paths.path_of_step] - 1).astype(float)


def linear(paths: PathTable) -> np.ndarray:
    return 1.0 / paths.lengths[paths.path_of_step]


def position_based(paths: PathTable) -> np.ndarray:
    """40/20/40: one touch takes all, two share equally, else the ends take 40 % each and
    the touches between share the remaining 20 %."""
    length = paths.lengths[paths.path_of_step].astype(float)
    position = paths.position
    is_end = (position == 0) | (position == length - 1)
    middle = (1 - 2 * POSITION_ENDS) / np.maximum(length - 2, 1)
    weights = np.where(is_end, POSITION_ENDS, middle)
    weights = np.where(length == 2, 0.5, weights)
    return np.where(length == 1, 1.0, weights)


def time_decay(paths: PathTable, half_life: float = 7.0) -> np.ndarray:
    """Weights halve every ``half_life`` days before the conversion, normalised per path."""
    if not np.isfinite(half_life) or half_life <= 0:
        raise AnalyticsError(f"the half-life must be a positive number of days, got {half_life}")
    raw = np.exp2(-np.maximum(paths.ages, 0.0) / half_life)
    totals = np.bincount(paths.path_of_step, weights=raw, minlength=paths.n_paths)
    return raw / totals[paths.path_of_step]


def credit(paths: PathTable, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Conversions and value per channel from per-step weights."""
    owner = paths.path_of_step
    size = len(paths.channels)
    conversions = np.bincount(
        paths.steps, weights=weights * paths.conversions[owner], minlength=size
    )
    value = np.bincount(paths.steps, weights=weights * paths.value[owner], minlength=size)
    return conversions, value
