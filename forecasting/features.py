"""Calendar, holiday, lag and rolling features for the global gradient-boosting model.

Values are put on a per-series scale and made relative to a moving level so one model can
learn across series of different size and still follow a trend: with ``z = y / scale`` and
``level = mean of z over the 28 days ending ``min_lag`` days earlier``, every lag and rolling
mean is given as a difference to ``level`` and the target is ``z - level``.
"""

from __future__ import annotations

from functools import lru_cache

import holidays
import numpy as np
import pandas as pd

from forecasting.series import ID
from forecasting.series import Y

LEVEL = "level"
TARGET = "target"


@lru_cache(maxsize=32)
def _holiday_dates(country: str, first_year: int, last_year: int) -> frozenset:
    calendar = holidays.country_holidays(country, years=range(first_year, last_year + 1))
    return frozenset(pd.Timestamp(day) for day in calendar)


def holiday_flag(days: pd.Series, country: str | None) -> np.ndarray:
    """1 on a public holiday of ``country`` (``holidays`` package), else 0."""
    if not country:
        return np.zeros(len(days), dtype=np.int8)
    dates = _holiday_dates(country, int(days.dt.year.min()), int(days.dt.year.max()))
    return days.isin(dates).to_numpy().astype(np.int8)


def calendar_features(days: pd.Series, country: str | None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "dow": days.dt.day_of_week.to_numpy(),
            "month": days.dt.month.to_numpy(),
            "doy": days.dt.day_of_year.to_numpy(),
            "holiday": holiday_flag(days, country),
        },
        index=days.index,
    )


def lag_features(
    frame: pd.DataFrame,
    scale: pd.Series,
    lags: tuple[int, ...],
    windows: tuple[int, ...],
    level_window: int = 28,
) -> pd.DataFrame:
    """Scaled, level-relative lags and rolling statistics of ``y`` per series.

    ``frame`` is sorted by id and day and may hold NaN ``y`` for days still to forecast;
    every feature only reads ``y`` at least ``min(lags)`` days back.
    """
    min_lag = min(lags)
    z = frame[Y] / frame[ID].map(scale).to_numpy()
    shifted = z.groupby(frame[ID], sort=False).shift(min_lag)
    grouped = shifted.groupby(frame[ID], sort=False)
    level = grouped.transform(lambda s: s.rolling(level_window).mean())
    out = {LEVEL: level, TARGET: z - level}
    by_series = z.groupby(frame[ID], sort=False)
    for lag in lags:
        out[f"lag{lag}"] = by_series.shift(lag) - level
    for window in windows:
        out[f"mean{window}"] = grouped.transform(lambda s, w=window: s.rolling(w).mean()) - level
        out[f"std{window}"] = grouped.transform(lambda s, w=window: s.rolling(w).std())
    return pd.DataFrame(out, index=frame.index)
