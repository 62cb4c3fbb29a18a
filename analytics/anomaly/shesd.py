"""Seasonal Hybrid ESD (S-H-ESD), as in Twitter's AnomalyDetection R package.

Hochenbaum, Vallis & Kejariwal (2017), "Automatic Anomaly Detection in the Cloud Via Statistical
Learning"; Rosner (1983), "Percentage Points for a Generalized ESD Many-Outlier Procedure".

1. Decompose with STL as R's ``stl(x, s.window="periodic", robust=TRUE)`` does: a degree-0 seasonal
   smoother over ``10 n + 1`` points, R's default trend and low-pass windows, one inner and fifteen
   robustness iterations, then every cycle position's seasonal values averaged. (For an odd
   period the low-pass window is period + 2 instead of R's period, which statsmodels refuses.)
2. Residual = data - seasonal - median(data).
3. Generalized ESD on the residual with median and MAD (scaled by 1.4826) in place of mean and
   standard deviation: remove the most extreme point up to ``max_anoms * n`` times and keep the
   largest number of removals whose statistic beat Rosner's critical value. ``direction`` pos/neg
   uses the one-sided statistic and critical value, ``both`` the two-sided ones.

With ``longterm_window`` the series is cut into consecutive windows of that many observations (the
last one reaching back a full window from the end) and each is tested on its own, so the median
subtracted in step 2 is piecewise (Vallis, Hochenbaum & Kejariwal 2014).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tsa.seasonal import STL

from analytics.anomaly.series import check_period
from analytics.anomaly.series import checked_series
from analytics.errors import AnalyticsError

DIRECTIONS = ("both", "pos", "neg")
_MAD_TO_SD = 1.4826  # R's mad() constant: MAD of a normal sample estimates its sd


def _next_odd(x: float) -> int:
    n = int(math.ceil(x))
    return n if n % 2 == 1 else n + 1


def periodic_stl(values: np.ndarray, period: int) -> tuple[np.ndarray, np.ndarray]:
    """Seasonal and trend components as R's ``stl(s.window="periodic", robust=TRUE)`` gives them."""
    n = len(values)
    seasonal_window = 10 * n + 1
    trend_window = _next_odd(1.5 * period / (1 - 1.5 / seasonal_window))
    # R takes nextodd(period); statsmodels needs low_pass > period, so odd periods get period + 2.
    low_pass_window = _next_odd(period + 1)
    fit = STL(
        values,
        period=period,
        seasonal=seasonal_window,
        trend=trend_window,
        low_pass=low_pass_window,
        seasonal_deg=0,
        trend_deg=1,
        low_pass_deg=1,
        seasonal_jump=math.ceil(seasonal_window / 10),
        trend_jump=math.ceil(trend_window / 10),
        low_pass_jump=math.ceil(low_pass_window / 10),
        robust=True,
    ).fit(inner_iter=1, outer_iter=15)
    position = np.arange(n) % period
    cycle_mean = np.bincount(position, weights=fit.seasonal) / np.bincount(position)
    return cycle_mean[position], np.asarray(fit.trend)


def _mad(x: np.ndarray) -> float:
    return _MAD_TO_SD * float(np.median(np.abs(x - np.median(x))))


def generalized_esd(
    residual: np.ndarray, max_outliers: int, alpha: float, direction: str
) -> list[int]:
    """Positions of the anomalies in ``residual``: Rosner's generalized ESD, median and MAD."""
    n = len(residual)
    remaining = np.arange(n)
    values = residual.astype(float)
    candidates: list[int] = []
    num_anoms = 0
    for i in range(1, max_outliers + 1):
        centre = np.median(values)
        sigma = _mad(values)
        if sigma == 0:
            break
        if direction == "pos":
            deviation = values - centre
        elif direction == "neg":
            deviation = centre - values
        else:
            deviation = np.abs(values - centre)
        worst = int(np.argmax(deviation))
        statistic = deviation[worst] / sigma
        candidates.append(int(remaining[worst]))
        remaining = np.delete(remaining, worst)
        values = np.delete(values, worst)
        tails = 1 if direction in ("pos", "neg") else 2
        p = 1 - alpha / (tails * (n - i + 1))
        t = stats.t.ppf(p, n - i - 1)
        critical = t * (n - i) / math.sqrt((n - i - 1 + t**2) * (n - i + 1))
        if statistic > critical:
            num_anoms = i
    return candidates[:num_anoms]


def _check_parameters(max_anoms: float, alpha: float, direction: str) -> None:
    if direction not in DIRECTIONS:
        raise AnalyticsError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    if not 0 < max_anoms <= 0.49:
        raise AnalyticsError(f"max_anoms must be a share of the data in (0, 0.49], not {max_anoms}")
    if not 0 < alpha < 1:
        raise AnalyticsError(f"alpha must be between 0 and 1, not {alpha}")


def _windows(n: int, window: int | None) -> list[slice]:
    if window is None or window >= n:
        return [slice(0, n)]
    return [
        slice(start, start + window) if start + window <= n else slice(n - window, n)
        for start in range(0, n, window)
    ]


def _trimmed(y: pd.Series) -> pd.Series:
    """``y`` without leading and trailing gaps; a gap inside the series is an error, as in R."""
    present = y.notna().to_numpy()
    if not present.any():
        raise AnalyticsError("the series has no values")
    first, last = np.argmax(present), len(present) - np.argmax(present[::-1])
    inner = y.iloc[first:last]
    if inner.isna().any():
        raise AnalyticsError(
            f"the series has {int(inner.isna().sum())} missing values between its first and last "
            "value; fill them (e.g. with 0 for sales or by interpolation) before testing"
        )
    return inner


def shesd_flags(
    y: pd.Series,
    period: int,
    max_anoms: float = 0.1,
    alpha: float = 0.05,
    direction: str = "both",
    longterm_window: int | None = None,
) -> pd.DataFrame:
    """Every point of ``y`` with ``observed, expected, is_anomaly, direction``.

    ``expected`` is STL trend + seasonal (of the point's window with ``longterm_window``);
    ``direction`` is "pos" / "neg" for anomalies and None otherwise. Leading and trailing missing
    values are not tested (expected NaN, not an anomaly).
    """
    period = check_period(period)
    _check_parameters(max_anoms, alpha, direction)
    y = checked_series(y)
    data = _trimmed(y)
    n = len(data)
    if longterm_window is not None and longterm_window < 2 * period:
        raise AnalyticsError(
            f"longterm_window ({longterm_window}) must hold at least two periods ({2 * period})"
        )
    if n < 2 * period:
        raise AnalyticsError(
            f"S-H-ESD needs at least two periods of data ({2 * period} points), got {n}"
        )
    values = data.to_numpy()
    expected = np.full(n, np.nan)
    flagged = np.zeros(n, dtype=bool)
    sign = np.zeros(n)
    for window in _windows(n, longterm_window):
        chunk = values[window]
        seasonal, trend = periodic_stl(chunk, period)
        residual = chunk - seasonal - np.median(chunk)
        positions = np.arange(n)[window]
        unset = np.isnan(expected[positions])
        expected[positions[unset]] = (trend + seasonal)[unset]
        max_outliers = max(1, math.floor(len(chunk) * max(max_anoms, 1 / len(chunk)) + 1e-9))
        found = generalized_esd(residual, max_outliers, alpha, direction)
        centre = np.median(residual)
        for position in found:
            flagged[positions[position]] = True
            sign[positions[position]] = 1 if residual[position] > centre else -1
    result = pd.DataFrame(
        {"observed": y, "expected": np.nan, "is_anomaly": False, "direction": None},
        index=y.index,
    ).astype({"direction": object})
    result.loc[data.index, "expected"] = expected
    result.loc[data.index, "is_anomaly"] = flagged
    labels = np.where(sign > 0, "pos", "neg") if direction == "both" else np.full(n, direction)
    result.loc[data.index[flagged], "direction"] = labels[flagged]
    return result


def shesd(y: pd.Series, period: int, **options) -> pd.DataFrame:
    """The anomalies S-H-ESD finds in ``y``: ``timestamp, observed, expected, direction``.

    ``options`` are :func:`shesd_flags`'s (``max_anoms``, ``alpha``, ``direction``,
    ``longterm_window``), with its defaults.
    """
    flags = shesd_flags(y, period, **options)
    anomalies = flags.loc[flags["is_anomaly"], ["observed", "expected", "direction"]]
    return anomalies.rename_axis("timestamp").reset_index()
