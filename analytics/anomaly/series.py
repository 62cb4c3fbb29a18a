"""Input checks and period inference shared by the anomaly detectors."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.errors import AnalyticsError

# Observations per season for a spacing between points: a week of days, a day of hours or minutes.
_PERIOD_BY_SPACING = {
    pd.Timedelta(days=1): 7,
    pd.Timedelta(hours=1): 24,
    pd.Timedelta(minutes=1): 1440,
}


def checked_series(y: pd.Series) -> pd.Series:
    """``y`` as float, sorted, with a unique DatetimeIndex; else an AnalyticsError saying why."""
    if not isinstance(y, pd.Series):
        raise AnalyticsError("the metric history must be a pandas Series")
    if not isinstance(y.index, pd.DatetimeIndex):
        raise AnalyticsError("the metric history needs a DatetimeIndex")
    if y.index.has_duplicates:
        raise AnalyticsError("the metric history has duplicate timestamps")
    try:
        values = y.astype(float)
    except (TypeError, ValueError) as exc:
        raise AnalyticsError(f"the metric history has non-numeric values: {exc}") from exc
    if np.isinf(values.to_numpy()).any():
        raise AnalyticsError("the metric history has infinite values")
    return values.sort_index()


def infer_period(index: pd.DatetimeIndex) -> int:
    """Observations per season from the typical spacing: weekly for daily data, daily below that.

    Any other spacing (weekly, monthly data) is treated as non-seasonal (period 1).
    """
    if len(index) < 2:
        raise AnalyticsError("at least two timestamps are needed to infer the period")
    spacing = pd.Series(index).diff().median()
    return _PERIOD_BY_SPACING.get(spacing, 1)


def check_period(period: int) -> int:
    if isinstance(period, bool) or not isinstance(period, (int, np.integer)) or period < 1:
        raise AnalyticsError(
            f"period must be a positive whole number of observations, not {period!r}"
        )
    return int(period)
