"""A learned expected band from a metric's own history: no threshold to set.

Each point is judged **one step ahead**: its band comes only from the points before it, so a point
never sets its own band. For point ``t`` the recent history is cut into up to ``max_blocks``
blocks of ``b`` observations (``b`` is the smallest multiple of the period that is at least 7, so
a week for daily data and a day for hourly data), ending just before ``t``:

- level: the median of the last block, carried forward by the median block-to-block change
  (a robust slope) over the half block between the block's centre and ``t``;
- seasonal: the median, over the blocks, of the value at ``t``'s position in the cycle minus its
  block's median;
- width: ``k`` times 1.4826 × the median absolute one-step-ahead error of the last
  ``2 * max_blocks`` blocks of earlier points that were not anomalies (so about ``k`` standard
  deviations of the forecast error for normal noise; judging starts once a block of errors exists).

Earlier anomalies cannot widen the band or drag the level: a point outside its band is an anomaly,
and both its value (in later history) and its error (in later widths) are clipped to its band (a
robust filter), so it counts as one rank in the medians, never by its size. A lasting level shift
is still learned: each alert moves the clipped history by up to one band width, so the expected
value walks to the new level over a few cycles while it keeps alerting.

Missing observations (NaN) are neither judged nor learned from; their place in the history holds
the expected value. A series that has never been negative gets its band clipped at 0, which keeps
zero-heavy series (B2B orders on weekends) usable; a cycle position that held one constant through
all of the recent history (no orders on Saturdays) is expected to hold it, and its zero errors are
kept out of the width, which the other positions set. The series should be regular (one row per day
for daily data, missing days filled by the caller, e.g. with 0 sales).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.anomaly.series import check_period
from analytics.anomaly.series import checked_series
from analytics.anomaly.series import infer_period
from analytics.errors import AnalyticsError

_MAD_TO_SD = 1.4826
BAND_COLUMNS = ["expected", "lower", "upper", "observed", "is_anomaly", "direction"]


@dataclass(frozen=True)
class BandVerdict:
    """The judgement on one point: what an alert rule reads after an ingest batch."""

    timestamp: pd.Timestamp
    observed: float
    expected: float
    lower: float
    upper: float
    is_anomaly: bool
    direction: str | None  # "pos", "neg" or None


def block_length(period: int) -> int:
    """Observations per history block: the smallest multiple of the period that is at least 7."""
    return period * math.ceil(7 / period)


def _resolve(
    y: pd.Series, period: int | None, k: float, min_history: int | None
) -> tuple[int, int, int]:
    """(period, block length, min_history) with the defaults filled in and checked."""
    period = infer_period(y.index) if period is None else check_period(period)
    block = block_length(period)
    if not k > 0:
        raise AnalyticsError(f"k must be a positive number of standard deviations, not {k}")
    if min_history is None:
        min_history = 4 * block
    if min_history < 3 * block:
        raise AnalyticsError(
            f"min_history must be at least three blocks of history ({3 * block} points), "
            f"not {min_history}"
        )
    return period, block, min_history


def _median(values: np.ndarray, axis: int | None = None) -> np.ndarray | float:
    """``np.median`` by one sort: the same numbers, faster on the small arrays the band takes
    thousands of medians of (np.median's own overhead dominates there)."""
    ordered = np.sort(values, axis=axis)
    n = ordered.shape[-1]
    middle = (ordered[..., (n - 1) // 2] + ordered[..., n // 2]) / 2
    return np.where(np.isnan(ordered[..., -1]), np.nan, middle)  # NaN sorts last


def _one_step_expected(history: np.ndarray, block: int, period: int) -> tuple[float, bool]:
    """(expected next value, whether its cycle position has been one constant all along)."""
    blocks = history.reshape(-1, block)
    same_phase = blocks[:, ::period]
    # np.nanmedian costs about twice np.median; only pay for it when there are gaps.
    median = np.nanmedian if np.isnan(history).any() else _median
    if np.nanmin(same_phase) == np.nanmax(same_phase):
        return float(np.nanmin(same_phase)), True
    level = median(blocks, axis=1)
    slope = float(_median(np.diff(level))) / block if len(level) > 1 else 0.0
    offset = median(same_phase - level[:, None])
    return float(level[-1] + slope * (block + 1) / 2 + offset), False


def _robust_scale(errors: deque[float]) -> float:
    absolute = np.abs(np.fromiter(errors, dtype=float))
    scale = _MAD_TO_SD * float(_median(absolute))
    if scale == 0:
        scale = math.sqrt(math.pi / 2) * float(np.mean(absolute))
    return scale


def expected_band(
    y: pd.Series,
    period: int | None = None,
    k: float = 3.0,
    min_history: int | None = None,
    max_blocks: int = 8,
) -> pd.DataFrame:
    """Expected value, band and verdict for every point of ``y``, judged one step ahead.

    ``period`` is the number of observations per season (inferred from the spacing when None:
    7 for daily, 24 for hourly, 1440 for minute data, otherwise 1). Points before
    ``min_history`` (default: four blocks, 28 days for daily data) have no band and are never
    anomalies; ``expected`` is known from two blocks on. Returns a frame indexed like ``y`` with
    ``expected, lower, upper, observed, is_anomaly, direction`` ("pos", "neg" or None).
    """
    y = checked_series(y)
    period, block, min_history = _resolve(y, period, k, min_history)
    n = len(y)
    if n <= min_history:
        raise AnalyticsError(
            f"the band needs more than {min_history} points of history to judge one, got {n}"
        )
    observed = y.to_numpy()
    clean = observed.copy()
    expected = np.full(n, np.nan)
    lower = np.full(n, np.nan)
    upper = np.full(n, np.nan)
    anomaly = np.zeros(n, dtype=bool)
    errors: deque[float] = deque(maxlen=2 * max_blocks * block)
    seen_negative = np.nanmin(observed[: 2 * block], initial=0.0) < 0
    for t in range(2 * block, n):
        blocks = min(max_blocks, t // block)
        history = clean[t - blocks * block : t]
        guess, constant_phase = _one_step_expected(history, block, period)
        never_negative = not seen_negative
        if never_negative:
            guess = max(guess, 0.0)
        expected[t] = guess
        value = observed[t]
        if np.isnan(value):
            clean[t] = guess
            continue
        seen_negative = seen_negative or value < 0
        error = value - guess
        if t >= min_history and len(errors) >= block:
            width = k * _robust_scale(errors)
            lower[t] = max(guess - width, 0.0) if never_negative else guess - width
            upper[t] = guess + width
            anomaly[t] = value > upper[t] or value < lower[t]
            clean[t] = min(max(value, lower[t]), upper[t])
            error = min(max(error, -width), width)
        if not constant_phase:
            errors.append(error)
    direction = np.where(observed > upper, "pos", "neg").astype(object)
    direction[~anomaly] = None
    return pd.DataFrame(
        {
            "expected": expected,
            "lower": lower,
            "upper": upper,
            "observed": observed,
            "is_anomaly": anomaly,
            "direction": pd.Series(direction, index=y.index, dtype=object),
        },
        index=y.index,
    )


def evaluate_latest(
    y: pd.Series,
    period: int | None = None,
    k: float = 3.0,
    min_history: int | None = None,
    max_blocks: int = 8,
) -> BandVerdict:
    """The verdict on the last point of ``y`` (what an alert rule calls after each ingest batch).

    Only the tail that can influence the last band is replayed: the history window, the window
    of earlier errors that sets the width, and the history those errors were judged on.
    """
    y = checked_series(y)
    period, block, min_history = _resolve(y, period, k, min_history)
    tail = 4 * max_blocks * block + min_history + 1
    band = expected_band(y.iloc[-tail:], period, k, min_history, max_blocks)
    last = band.iloc[-1]
    return BandVerdict(
        timestamp=band.index[-1],
        observed=float(last["observed"]),
        expected=float(last["expected"]),
        lower=float(last["lower"]),
        upper=float(last["upper"]),
        is_anomaly=bool(last["is_anomaly"]),
        direction=last["direction"],
    )
