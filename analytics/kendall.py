"""Mann–Kendall and Theil–Sen statistics of many series at once, one numpy row per series.

The Trends and Contribution pages test dozens of series per view; one Python call per
series (pymannkendall, scipy) cost tens of milliseconds each. Here each statistic is
computed for all rows together, one array operation per lag, over the pairs
(t, t + lag) of every row.

Rows are *left-aligned*: a series' observations first, NaN padding after them, so series
with different numbers of observations share one array (``left_align``); padding never
counts. The formulas are pymannkendall's (score S, tie-corrected variance, lag-1
pre-whitening) and scipy.stats.theilslopes' (median pairwise slope with Sen's 1968
confidence interval); tests/analytics/test_kendall.py compares them with both libraries.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

# Pairwise slopes held at once: rows are processed in blocks below this.
SLOPES_BLOCK = 4_000_000
# Slopes are differences taken in double precision and stored in single: a relative error
# below 1e-7, far under what any page shows, for half the memory traffic of sorting them.
SLOPE_DTYPE = "float32"


def left_align(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's finite values and their column positions moved to the front, NaN after.

    Returns ``(aligned values, positions as floats, count of finite values per row)``.
    """
    values = np.asarray(values, dtype="float64")
    observed = np.isfinite(values)
    counts = observed.sum(axis=1)
    width = int(counts.max()) if len(counts) else 0
    order = np.argsort(~observed, axis=1, kind="stable")[:, :width]
    aligned = np.take_along_axis(values, order, axis=1)
    positions = order.astype("float64")
    padding = np.arange(width)[None, :] >= counts[:, None]
    aligned[padding] = np.nan
    positions[padding] = np.nan
    return aligned, positions, counts


def mann_kendall_score(x: np.ndarray) -> np.ndarray:
    """S = Σ_{i<j} sign(x_j − x_i) per left-aligned row."""
    score = np.zeros(len(x))
    for lag in range(1, x.shape[1]):
        later, earlier = x[:, lag:], x[:, :-lag]
        score += np.count_nonzero(later > earlier, axis=1)
        score -= np.count_nonzero(later < earlier, axis=1)
    return score


def _tie_terms(x: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Σ t(t−1)(2t+5) over the groups of tied values of each row."""
    terms = np.zeros(len(x))
    for row, (values, count) in enumerate(zip(x, counts, strict=True)):
        _, ties = np.unique(values[:count], return_counts=True)
        terms[row] = float((ties * (ties - 1) * (2 * ties + 5)).sum())
    return terms


def mann_kendall_variance(x: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Var(S) under no trend, corrected for ties, per left-aligned row."""
    n = counts.astype("float64")
    return (n * (n - 1) * (2 * n + 5) - _tie_terms(x, counts)) / 18


def z_score(score: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """S standardised with the continuity correction (0 where S is 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (score - np.sign(score)) / np.sqrt(variance)
    return np.where(score == 0, 0.0, z)


def prewhiten(x: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x_t − r₁·x_{t−1} with r₁ the lag-1 autocorrelation of each row (one value shorter).

    A row without variance keeps r₁ = 0.
    """
    centred = x - np.nanmean(x, axis=1, keepdims=True)
    lag0 = np.nansum(centred * centred, axis=1)
    lag1 = np.nansum(centred[:, 1:] * centred[:, :-1], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r1 = np.where(lag0 > 0, lag1 / lag0, 0.0)
    return x[:, 1:] - r1[:, None] * x[:, :-1], np.maximum(counts - 1, 0)


def theil_sen(
    y: np.ndarray, steps: np.ndarray, counts: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(median slope, lower, upper bound of its ``confidence`` interval) per left-aligned row.

    ``steps`` are the rows' increasing x positions. The interval is Sen's (1968), with
    the ranks and the tie correction for y that scipy.stats.theilslopes uses. Rows with
    fewer than two observations get NaN.
    """
    slope, low, high = (np.full(len(y), np.nan) for _ in range(3))
    n = counts.astype("float64")
    pairs = (n * (n - 1) / 2).astype(int)
    sigma = np.sqrt(np.maximum(n * (n - 1) * (2 * n + 5) - _tie_terms(y, counts), 0) / 18)
    z = norm.ppf((1 - confidence) / 2)
    upper = np.minimum(np.round((pairs - z * sigma) / 2).astype(int), pairs - 1)
    lower = np.maximum(np.round((pairs + z * sigma) / 2).astype(int) - 1, 0)
    middle = np.stack([(pairs - 1) // 2, pairs // 2], axis=1)
    fitted = np.flatnonzero(counts >= 2)
    width = int(counts.max(initial=0))
    block = max(1, SLOPES_BLOCK // max(width * (width - 1) // 2, 1))
    for start in range(0, len(fitted), block):
        rows = fitted[start : start + block]
        first, last = int(lower[rows].min()), int(upper[rows].max())
        ordered = _ordered_window(
            _pairwise_slopes(y[rows, :width], steps[rows, :width]), first, last
        )
        index = np.arange(len(rows))[:, None]
        slope[rows] = ordered[index, middle[rows] - first].mean(axis=1)
        low[rows] = ordered[index[:, 0], lower[rows] - first]
        high[rows] = ordered[index[:, 0], upper[rows] - first]
    return slope, low, high


def _pairwise_slopes(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(y_j − y_i) / (x_j − x_i) for every pair i < j of each row, lag by lag (NaN for padding)."""
    width = y.shape[1]
    slopes = np.empty((len(y), width * (width - 1) // 2), dtype=SLOPE_DTYPE)
    offset = 0
    for lag in range(1, width):
        size = width - lag
        target = slopes[:, offset : offset + size]
        np.subtract(y[:, lag:], y[:, :-lag], out=target)
        target /= x[:, lag:] - x[:, :-lag]
        offset += size
    return slopes


def _ordered_window(values: np.ndarray, first: int, last: int) -> np.ndarray:
    """The ``first``-th to ``last``-th smallest values of each row, sorted (NaN count as largest).

    Two single-rank partitions and a sort of the window: numpy's partition with several
    ranks at once is many times slower.
    """
    values.partition(last, axis=1)
    if first < last:
        values[:, :last].partition(first, axis=1)
    return np.sort(values[:, first : last + 1], axis=1)
