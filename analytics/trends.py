"""Trend calls that a statistical test backs, not the sign of one difference.

Each series is first seasonally adjusted, then tested for a monotonic trend with
Mann–Kendall, and its size estimated with the Theil–Sen slope. Daily sales residuals are
autocorrelated, which makes the original Mann–Kendall test call trends in pure noise far
too often (about 4 in 10 series at lag-1 autocorrelation 0.6), so the default test
pre-whitens the series first (Yue & Wang 2002 as implemented by pymannkendall);
``method="original"`` gives the textbook test.

The seasonal adjustment removes one fixed pattern per cycle (classical decomposition:
the mean per phase of the series minus its centred moving average). A pattern allowed to
drift soaks up slow noise, which triples false trend calls; a fixed one is also what an
executive reads as "the weekly rhythm". Subtracting an estimated pattern still leaves
residuals that are correlated across cycles; with few cycles that inflates false calls
(about 12 % instead of 5 % for four weeks of daily data). Series shorter than
``MIN_ADJUSTED_CYCLES`` seasonal cycles are therefore tested with the seasonal
Mann–Kendall test (Hirsch et al. 1982), which compares like with like (Mondays with
Mondays) on the unadjusted series and needs no adjustment; the Theil–Sen slope is always
estimated on the adjusted series.

``trend_tests`` tests many series on one grid at once (analytics/kendall.py): a page's
dozens of series take milliseconds, not one Python call per series each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal
from typing import get_args

import numpy as np
import pandas as pd
import pymannkendall
from scipy.stats import norm
from statsmodels.tsa.seasonal import seasonal_decompose

from analytics.errors import AnalyticsError
from analytics.kendall import left_align
from analytics.kendall import mann_kendall_score
from analytics.kendall import mann_kendall_variance
from analytics.kendall import prewhiten
from analytics.kendall import theil_sen
from analytics.kendall import z_score

MIN_POINTS = 8
MIN_ADJUSTED_CYCLES = 10
Direction = Literal["rising", "declining", "flat"]
TestMethod = Literal["prewhitened", "original", "hamed_rao"]


@dataclass(frozen=True)
class TrendResult:
    """A trend call over a window of ``n`` observed points.

    ``slope`` is per step of the series (per day for a daily series) with its 95 %
    confidence interval; ``relative_slope`` is the change over the window as a
    fraction of the mean level (0.1 = the trend adds 10 % of the mean over the
    window); ``strength`` is ``±(−log10 p)`` with the sign of the trend, so sorting
    by it puts the most certain rises first and the most certain declines last.
    ``tau`` and ``p_value`` come from the Mann–Kendall variant named in ``test``.
    Estimates are NaN for series shorter than ``MIN_POINTS`` (then p = 1, flat).
    """

    n: int
    slope: float
    slope_low: float
    slope_high: float
    relative_slope: float
    tau: float
    p_value: float
    direction: Direction
    strength: float
    test: str


def seasonal_period(index: pd.Index) -> int | None:
    """The seasonal cycle length implied by a regular DatetimeIndex (daily → 7, …)."""
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 3:
        return None
    offset = index.freq
    if offset is None:
        with pd.option_context("future.infer_freq_returns_offset", True):
            offset = pd.infer_freq(index)
    if offset is None or offset.n != 1:
        return None
    periods = (
        (pd.offsets.Day, 7),
        (pd.offsets.BusinessDay, 5),
        (pd.offsets.Week, 52),
        ((pd.offsets.MonthBegin, pd.offsets.MonthEnd), 12),
        ((pd.offsets.QuarterBegin, pd.offsets.QuarterEnd), 4),
        (pd.offsets.Hour, 24),
    )
    return next((length for kind, length in periods if isinstance(offset, kind)), None)


def seasonally_adjust(y: pd.Series, period: int | None = None) -> pd.Series:
    """``y`` minus its fixed seasonal pattern, or ``y`` itself when too short.

    ``period`` defaults to the cycle implied by the index frequency. At least two full
    periods are needed; missing values are interpolated for the fit and stay missing
    in the result.
    """
    period = period if period is not None else seasonal_period(y.index)
    values = y.to_numpy(dtype="float64")[None, :]
    return pd.Series(seasonally_adjust_rows(values, period)[0], index=y.index, name=y.name)


def seasonally_adjust_rows(values: np.ndarray, period: int | None) -> np.ndarray:
    """``seasonally_adjust`` of each row: series on one regular grid, NaN where missing."""
    adjusted = np.array(values, dtype="float64")
    if period is None or period < 2 or adjusted.shape[1] < 2 * period:
        return adjusted
    observed = np.isfinite(adjusted)
    fit = observed.sum(axis=1) >= 2
    if not fit.any():
        return adjusted
    filled = pd.DataFrame(adjusted[fit].T).interpolate(limit_direction="both").to_numpy()
    # One series comes back one-dimensional.
    seasonal = np.reshape(seasonal_decompose(filled, period=period).seasonal, filled.shape)
    adjusted[fit] = np.where(observed[fit], (filled - seasonal).T, np.nan)
    return adjusted


def trend_test(
    y: pd.Series,
    period: int | None = None,
    alpha: float = 0.05,
    method: TestMethod = "prewhitened",
) -> TrendResult:
    """Test ``y`` for a monotonic trend beyond its seasonal cycle (see the module docstring).

    ``y`` should be on a regular grid (missing steps as NaN) so that the slope is per
    step; ``rising`` / ``declining`` need a p-value below ``alpha``. ``period`` defaults
    to the cycle implied by the index frequency.
    """
    _check_method(method)
    period = period if period is not None else seasonal_period(y.index)
    return trend_tests(y.to_numpy(dtype="float64")[None, :], period, alpha, method)[0]


def _check_method(method: str) -> None:
    if method not in get_args(TestMethod):
        known = ", ".join(get_args(TestMethod))
        raise AnalyticsError(f"unknown trend test {method!r}; use one of {known}")


def trend_tests(
    values: np.ndarray,
    period: int | None,
    alpha: float = 0.05,
    method: TestMethod = "prewhitened",
) -> list[TrendResult]:
    """``trend_test`` of each row of ``values``: series on one regular grid, NaN = missing."""
    _check_method(method)
    raw = np.atleast_2d(np.asarray(values, dtype="float64"))
    observed = np.isfinite(raw)
    counts = observed.sum(axis=1)
    spread = np.where(observed, raw, -np.inf).max(axis=1) - np.where(observed, raw, np.inf).min(
        axis=1
    )
    results: list[TrendResult | None] = [None] * len(raw)
    nan = math.nan
    for row in np.flatnonzero(counts < MIN_POINTS):
        results[row] = TrendResult(
            int(counts[row]), nan, nan, nan, nan, nan, 1.0, "flat", 0.0, "none"
        )
    for row in np.flatnonzero((counts >= MIN_POINTS) & (spread == 0)):
        results[row] = TrendResult(
            int(counts[row]), 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, "flat", 0.0, "none"
        )
    tested = np.flatnonzero((counts >= MIN_POINTS) & (spread > 0))
    if len(tested):
        calls = _tested(raw[tested], period, alpha, method)
        for row, result in zip(tested, calls, strict=True):
            results[row] = result
    return results  # type: ignore[return-value]


def _tested(raw: np.ndarray, period: int | None, alpha: float, method: str) -> list[TrendResult]:
    """Trend results of rows with enough points and some variation, all rows at once."""
    adjusted, steps, n = left_align(seasonally_adjust_rows(raw, period))
    slope, slope_low, slope_high = theil_sen(adjusted, steps, n)
    if period is not None and period >= 2 and raw.shape[1] < MIN_ADJUSTED_CYCLES * period:
        score, z, tau = _seasonal_mann_kendall(raw, period)
        names = ["seasonal"] * len(raw)
    else:
        score, z, tau = _mann_kendall(adjusted, n, method)
        names = [method] * len(raw)
    # pymannkendall's own p-value underflows to 0 beyond |z| ≈ 8; the survival function does not.
    p_values = np.where(np.isfinite(z), 2 * norm.sf(np.abs(z)), 1.0)
    sign = np.sign(score)
    level = np.abs(np.nanmean(raw, axis=1))
    window = steps[np.arange(len(raw)), n - 1] - steps[:, 0] + 1
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(level > 0, slope * window / level, np.nan)
    results = []
    for row in range(len(raw)):
        p_value = float(p_values[row])
        direction: Direction = "flat"
        if p_value < alpha and sign[row] != 0:
            direction = "rising" if sign[row] > 0 else "declining"
        strength = float(sign[row]) * -math.log10(max(p_value, 1e-300)) if sign[row] else 0.0
        results.append(
            TrendResult(
                n=int(n[row]),
                slope=float(slope[row]),
                slope_low=float(slope_low[row]),
                slope_high=float(slope_high[row]),
                relative_slope=float(relative[row]),
                tau=float(tau[row]),
                p_value=p_value,
                direction=direction,
                strength=strength,
                test=names[row],
            )
        )
    return results


def _mann_kendall(adjusted: np.ndarray, n: np.ndarray, method: str):
    """(S, z, tau) per left-aligned row for the chosen variant of the test."""
    if method == "hamed_rao":
        tests = [
            pymannkendall.hamed_rao_modification_test(row[:count])
            for row, count in zip(adjusted, n, strict=True)
        ]
        return tuple(np.array([getattr(t, name) for t in tests]) for name in ("s", "z", "Tau"))
    x, m = prewhiten(adjusted, n) if method == "prewhitened" else (adjusted, n)
    score = mann_kendall_score(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = score / (0.5 * m * (m - 1))
    return score, z_score(score, mann_kendall_variance(x, m)), tau


def _seasonal_mann_kendall(raw: np.ndarray, period: int):
    """(S, z, tau) of the seasonal test: S and Var(S) summed over the phases of the cycle."""
    rows, length = raw.shape
    cycles = -(-length // period)
    padded = np.full((rows, cycles * period), np.nan)
    padded[:, :length] = raw
    phases = padded.reshape(rows, cycles, period).transpose(0, 2, 1).reshape(rows * period, cycles)
    x, _, m = left_align(phases)
    score = mann_kendall_score(x).reshape(rows, period).sum(axis=1)
    variance = mann_kendall_variance(x, m).reshape(rows, period).sum(axis=1)
    pairs = (0.5 * m * (m - 1)).reshape(rows, period).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        tau = score / pairs
    return score, z_score(score, variance), tau
