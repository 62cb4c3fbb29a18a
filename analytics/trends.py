"""Trend calls that a statistical test backs, not the sign of one difference.

Each series is first seasonally adjusted (STL, robust), then tested for a monotonic
trend with Mann–Kendall, and its size estimated with the Theil–Sen slope. Daily sales
residuals are autocorrelated, which makes the original Mann–Kendall test call trends in
pure noise far too often (about 4 in 10 series at lag-1 autocorrelation 0.6), so the
default test pre-whitens the series first (Yue & Wang 2002 as implemented by
pymannkendall); ``method="original"`` gives the textbook test.

Subtracting an estimated seasonal pattern leaves residuals that are correlated across
cycles; with few cycles that inflates false calls (about 12 % instead of 5 % for four
weeks of daily data). Series shorter than ``MIN_ADJUSTED_CYCLES`` seasonal cycles are
therefore tested with the seasonal Mann–Kendall test (Hirsch et al. 1982), which
compares like with like (Mondays with Mondays) on the unadjusted series and needs no
adjustment; the Theil–Sen slope is always estimated on the adjusted series.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Literal

import numpy as np
import pandas as pd
import pymannkendall
from scipy.stats import norm, theilslopes
from statsmodels.tsa.seasonal import STL

from analytics.errors import AnalyticsError
from analytics.periods import bucket_start

MIN_POINTS = 8
MIN_ADJUSTED_CYCLES = 10
SPARKLINE_WEEKS = 26
Direction = Literal["rising", "declining", "flat"]
TestMethod = Literal["prewhitened", "original", "hamed_rao"]

_MANN_KENDALL: dict[str, Callable[[np.ndarray], object]] = {
    "prewhitened": pymannkendall.pre_whitening_modification_test,
    "original": pymannkendall.original_test,
    "hamed_rao": pymannkendall.hamed_rao_modification_test,
}


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
    """``y`` minus its STL seasonal component (robust fit), or ``y`` itself when too short.

    ``period`` defaults to the cycle implied by the index frequency. At least two full
    periods are needed; missing values are interpolated for the fit and stay missing
    in the result.
    """
    values = y.astype("float64")
    period = period if period is not None else seasonal_period(y.index)
    if period is None or period < 2 or len(values) < 2 * period or values.notna().sum() < 2:
        return values
    filled = values.interpolate(limit_direction="both").to_numpy()
    # A seasonal smoother spanning every cycle keeps the pattern near-stable; STL's
    # default of 7 cycles lets it soak up slow noise, which triples false trend calls.
    cycles = len(filled) // period
    seasonal = STL(filled, period=period, seasonal=max(7, cycles | 1), robust=True).fit().seasonal
    return pd.Series(filled - seasonal, index=y.index, name=y.name).where(values.notna())


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
    if method not in _MANN_KENDALL:
        known = ", ".join(_MANN_KENDALL)
        raise AnalyticsError(f"unknown trend test {method!r}; use one of {known}")
    raw = y.to_numpy(dtype="float64")
    observed = np.isfinite(raw)
    n = int(observed.sum())
    if n < MIN_POINTS:
        nan = math.nan
        return TrendResult(n, nan, nan, nan, nan, nan, 1.0, "flat", 0.0, "none")
    if np.ptp(raw[observed]) == 0:
        return TrendResult(n, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, "flat", 0.0, "none")
    period = period if period is not None else seasonal_period(y.index)
    values = seasonally_adjust(y, period).to_numpy()[observed]
    steps = np.flatnonzero(observed).astype("float64")
    slope, _, slope_low, slope_high = theilslopes(values, steps, alpha=0.95)
    if period is not None and period >= 2 and len(raw) < MIN_ADJUSTED_CYCLES * period:
        test, test_name = pymannkendall.seasonal_test(raw, period=period), "seasonal"
    else:
        test, test_name = _MANN_KENDALL[method](values), method
    # pymannkendall's own p-value underflows to 0 beyond |z| ≈ 8; the survival function does not.
    p_value = float(2 * norm.sf(abs(test.z))) if np.isfinite(test.z) else 1.0
    sign = float(np.sign(test.s))
    level = abs(float(raw[observed].mean()))
    window = steps[-1] - steps[0] + 1
    direction: Direction = "flat"
    if p_value < alpha and sign != 0:
        direction = "rising" if sign > 0 else "declining"
    return TrendResult(
        n=n,
        slope=float(slope),
        slope_low=float(slope_low),
        slope_high=float(slope_high),
        relative_slope=float(slope * window / level) if level > 0 else math.nan,
        tau=float(test.Tau),
        p_value=p_value,
        direction=direction,
        strength=sign * -math.log10(max(p_value, 1e-300)) if sign else 0.0,
        test=test_name,
    )


TREND_COLUMNS = ["unique_id", *(f.name for f in fields(TrendResult)), "mom", "yoy", "sparkline"]


def trend_table(
    frame: pd.DataFrame,
    period: int | None = None,
    alpha: float = 0.05,
    freq: str = "D",
    method: TestMethod = "prewhitened",
) -> pd.DataFrame:
    """One row per ``unique_id`` of a long ``unique_id, ds, y`` frame, sorted by ``strength``.

    Columns: the ``TrendResult`` fields, then

    - ``mom``: % change (percentage points, 12.5 = +12.5 %) of the sum of ``y`` in the
      last complete month against the month before; ``yoy``: against the same month a
      year earlier. A month counts only when it is complete as of the frame's last
      ``ds`` and the series had started by its first day; NaN where either month is
      missing or the earlier sum is zero.
    - ``sparkline``: the sums of ``y`` over the last (up to) 26 complete ISO weeks.

    Each series is put on a regular ``freq`` grid between its first and last ``ds``
    (missing steps are NaN, not zero). Rows are sorted by ``strength`` descending: the
    most certain rises first, flat series in the middle, the most certain declines last.
    """
    missing = {"unique_id", "ds", "y"} - set(frame.columns)
    if missing:
        raise AnalyticsError(f"trend frame lacks column(s) {', '.join(sorted(missing))}")
    data = pd.DataFrame(
        {
            "unique_id": frame["unique_id"].to_numpy(),
            "ds": pd.to_datetime(frame["ds"]).dt.normalize().to_numpy(),
            "y": frame["y"].astype("float64").to_numpy(),
        }
    )
    if data.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)
    duplicated = data.duplicated(["unique_id", "ds"])
    if duplicated.any():
        first = data.loc[duplicated].iloc[0]
        raise AnalyticsError(
            f"trend frame has several rows for {first['unique_id']} on {first['ds']:%Y-%m-%d}"
        )
    as_of = data["ds"].max()
    first_day = data.groupby("unique_id")["ds"].min()
    rows = []
    for unique_id, group in data.groupby("unique_id", sort=False):
        series = group.set_index("ds")["y"].sort_index()
        grid = pd.date_range(series.index[0], series.index[-1], freq=freq)
        result = trend_test(series.reindex(grid), period, alpha, method)
        rows.append({"unique_id": unique_id, **asdict(result)})
    table = pd.DataFrame(rows).set_index("unique_id")
    table = table.join(_month_changes(data, first_day, as_of)).join(
        _sparklines(data, first_day, as_of)
    )
    table = table.reset_index()[TREND_COLUMNS]
    return table.sort_values(
        ["strength", "unique_id"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


def _month_changes(data: pd.DataFrame, first_day: pd.Series, as_of: pd.Timestamp) -> pd.DataFrame:
    month = bucket_start(data["ds"], "month")
    sums = data.groupby([data["unique_id"], month])["y"].sum().unstack(fill_value=0.0)
    last = bucket_start(pd.Series([as_of + pd.Timedelta(days=1)]), "month")[0] - pd.DateOffset(
        months=1
    )

    def total(month_start: pd.Timestamp) -> pd.Series:
        values = (
            sums[month_start] if month_start in sums.columns else pd.Series(0.0, index=sums.index)
        )
        return values.where(first_day.reindex(sums.index) <= month_start)

    current = total(last)

    def change(earlier: pd.Series) -> pd.Series:
        return (current / earlier.where(earlier != 0) - 1.0) * 100.0

    return pd.DataFrame(
        {
            "mom": change(total(last - pd.DateOffset(months=1))),
            "yoy": change(total(last - pd.DateOffset(years=1))),
        }
    )


def _sparklines(data: pd.DataFrame, first_day: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    week = bucket_start(data["ds"], "week")
    last = bucket_start(pd.Series([as_of + pd.Timedelta(days=1)]), "week")[0] - pd.Timedelta(days=7)
    grid = pd.date_range(end=last, periods=SPARKLINE_WEEKS, freq="7D").astype(week.dtype)
    sums = data.groupby([data["unique_id"], week])["y"].sum().unstack(fill_value=0.0)
    sums = sums.reindex(columns=grid, fill_value=0.0)
    covered = first_day.reindex(sums.index).to_numpy()[:, None] <= grid.to_numpy()[None, :]
    values = sums.to_numpy()
    return pd.Series(
        [row[mask].tolist() for row, mask in zip(values, covered, strict=True)],
        index=sums.index,
        name="sparkline",
    )
