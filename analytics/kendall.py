"""Mann–Kendall and Theil–Sen statistics of many series at once, one numpy row per series.

The Trends and Contribution pages test dozens of series per view; one Python call per
series (pymannkendall, scipy) cost tens of milliseconds each. Here each statistic is
computed over every pair (i < j) of a row in a few array operations: the pairwise slopes
of all rows together, one operation per lag; the Mann–Kendall score row by row.

Rows are *left-aligned*: a series' observations first, NaN padding after them, so series
with different numbers of observations share one array (``left_align``); padding never
counts. The formulas are pymannkendall's (score S, tie-corrected variance, lag-1
pre-whitening) and scipy.stats.theilslopes' (median pairwise slope with Sen's 1968
confidence interval); tests/analytics/test_kendall.py compares them with both libraries.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy.stats import norm

# Pairwise slopes held at once: rows are processed in blocks below this.
SLOPES_BLOCK = 4_000_000
# Values per row sampled to bracket the ranks ``order_statistics`` looks for.
BRACKET_SAMPLE = 4_096
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
    """S = Σ_{i<j} sign(x_j − x_i) per left-aligned row.

    Row by row over every pair at once: one numpy call per lag cost more in call overhead
    than in arithmetic for the few dozen rows a page tests.
    """
    earlier, later = _pairs(x.shape[1])
    score = np.empty(len(x))
    for row, values in enumerate(x):
        change = values[later] - values[earlier]
        score[row] = np.count_nonzero(change > 0) - np.count_nonzero(change < 0)
    return score


@functools.lru_cache(maxsize=16)
def _pairs(width: int) -> tuple[np.ndarray, np.ndarray]:
    """Column positions (earlier, later) of every pair i < j of a row ``width`` long."""
    earlier, later = np.triu_indices(width, 1)
    earlier.flags.writeable = later.flags.writeable = False
    return earlier, later


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
        ranks = np.column_stack([lower[rows], middle[rows], upper[rows]])
        ordered = order_statistics(
            _pairwise_slopes(y[rows, :width], steps[rows, :width]), ranks, pairs[rows]
        ).astype("float64")
        slope[rows] = ordered[:, 1:3].mean(axis=1)
        low[rows] = ordered[:, 0]
        high[rows] = ordered[:, 3]
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


def order_statistics(values: np.ndarray, ranks: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """The values of the 0-based ``ranks`` (rows × k) of each row, sorted ascending with NaN
    last; ``valid`` is each row's count of non-NaN values. Exact.

    Each row's ranks are bracketed by two of its values read off a strided sample; only
    the values between them are sorted (a few percent of a row, where a partition of the
    whole row costs as much as a sort of all of it). A row whose sample brackets its ranks
    badly is sorted whole instead.
    """
    result = np.empty(ranks.shape, dtype=values.dtype)
    sample = np.sort(values[:, :: max(1, values.shape[1] // BRACKET_SAMPLE)], axis=1)
    sampled = np.count_nonzero(~np.isnan(sample), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        share_low, share_high = ranks.min(axis=1) / valid, (ranks.max(axis=1) + 1) / valid
        margin = 4 * np.sqrt(0.25 / sampled) + 1 / sampled
    rows = np.arange(len(values))
    low_at = np.floor((share_low - margin) * sampled).astype("int64")
    high_at = np.ceil((share_high + margin) * sampled).astype("int64")
    low = np.where(low_at > 0, sample[rows, np.clip(low_at, 0, None)], -np.inf)
    high = np.where(
        high_at < sampled, sample[rows, np.clip(high_at, 0, sample.shape[1] - 1)], np.inf
    )
    below = np.count_nonzero(values < low[:, None], axis=1)
    inside = (values >= low[:, None]) & (values <= high[:, None])
    for row in rows:
        band = values[row, inside[row]]
        if below[row] <= ranks[row].min() and below[row] + len(band) > ranks[row].max():
            result[row] = np.sort(band)[ranks[row] - below[row]]
        else:
            result[row] = np.sort(values[row])[ranks[row]]
    return result
