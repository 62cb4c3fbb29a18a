"""A smoothed level times weekday, yearly and holiday profiles: the robust model for noisy,
low-volume channels (B2B, direct sales) where the last week is mostly noise."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Self

import numpy as np
import pandas as pd

from forecasting.errors import ForecastingError
from forecasting.features import holiday_flag
from forecasting.models.base import interval_quantiles
from forecasting.models.base import trained
from forecasting.series import DEFAULT_LEVEL
from forecasting.series import DS
from forecasting.series import FORECAST_COLUMNS
from forecasting.series import ID
from forecasting.series import LOWER
from forecasting.series import UPPER
from forecasting.series import YHAT
from forecasting.series import Y
from forecasting.series import future_frame
from forecasting.series import validate_series

YEAR = 364
"""52 weeks: year-ago windows keep their weekdays."""
MIN_SHAPE = 0.1
"""Days whose profile is below this share of the average day (a closed weekday) are left out
of the error distribution: their errors relative to the expected value are noise over almost
zero."""


def _circular_smooth(values: np.ndarray, window: int) -> np.ndarray:
    padded = np.r_[values[-window:], values, values[:window]]
    kernel = np.ones(window) / window
    return np.convolve(padded, kernel, mode="same")[window:-window]


def yearly_index(days: pd.Series, y: np.ndarray, window: int = 28) -> np.ndarray:
    """Multiplicative yearly pattern per day of year (index 0 = 1 January, 366 values):
    the centred ``window``-day mean over the centred one-year mean, averaged over the years
    observed and smoothed. Ones where a day of year was never observed with a full year."""
    series = pd.Series(y)
    short = series.rolling(window, center=True, min_periods=window // 2).mean()
    annual = series.rolling(YEAR + 1, center=True, min_periods=YEAR // 2).mean()
    ratio = (short / annual.where(annual > 0)).to_numpy()
    doy = days.dt.day_of_year.to_numpy() - 1
    seen = np.isfinite(ratio)
    sums = np.bincount(doy[seen], weights=ratio[seen], minlength=366)
    counts = np.bincount(doy[seen], minlength=366)
    if counts.sum() == 0:
        return np.ones(366)
    index = pd.Series(np.where(counts > 0, sums / np.maximum(counts, 1), np.nan))
    index = index.interpolate(limit_direction="both").to_numpy()
    smoothed = _circular_smooth(index, 15)
    return smoothed / smoothed.mean()


@dataclass(eq=False)
class ProfileModel:
    """``level × weekday profile × yearly index × holiday factor × growth``, per series, moved
    from the mean to the median.

    * the yearly index comes from every full year seen (``yearly_index``), the weekday profile
      from the last ``profile_days`` days after removing it;
    * the holiday factor is the ratio of actual to expected sales on the public holidays of
      ``country`` in the history (1 without holidays);
    * the level is the deseasonalised mean of the last ``level_days`` days, so one week's
      noise barely moves it;
    * growth is the year-on-year ratio of the last two years (when there are two), damped by
      ``growth_damping`` and carried from the middle of the level window to each day ahead.

    The errors the trailing level made on each past day, relative to the value it expected,
    give the rest: the point forecast is the mean one times ``1 + median - mean`` of those
    errors, and the interval bounds use their tail quantiles in place of the median, so the
    interval is narrow where the profile is (weekends of a B2B channel); training calibrates
    it on the backtest (``calibration``). The median, not the mean, because MASE and WAPE
    score absolute errors, which the median minimises: on a low-volume channel (a few orders a
    day, many days without a large order) the typical day is well below the mean one. The
    weekday profile is clipped at zero (refunds can outweigh sales on a closed day).
    """

    name = "profile"
    min_history = 28

    level: int = DEFAULT_LEVEL
    level_days: int = 56
    profile_days: int = YEAR
    country: str | None = "US"
    growth_damping: float = 0.5
    _states: dict[str, dict] = field(default_factory=dict, init=False, repr=False)
    _train: pd.DataFrame | None = field(default=None, init=False, repr=False)

    def fit(self, train: pd.DataFrame) -> Self:
        train = validate_series(train)
        sizes = train.groupby(ID).size()
        if (sizes < self.min_history).any():
            raise ForecastingError(
                f"the profile model needs at least {self.min_history} days per series; "
                f"{sizes.idxmin()!r} has {sizes.min()}"
            )
        self._train = train[[ID, DS, Y]]
        self._states = {
            str(uid): self._fit_one(group[DS].reset_index(drop=True), group[Y].to_numpy())
            for uid, group in train.groupby(ID, sort=True)
        }
        return self

    def _fit_one(self, days: pd.Series, y: np.ndarray) -> dict:
        doy = days.dt.day_of_year.to_numpy() - 1
        yearly = yearly_index(days, y) if len(y) >= YEAR + 56 else np.ones(366)
        recent = slice(max(0, len(y) - self.profile_days), len(y))
        deseasoned = y[recent] / np.maximum(yearly[doy[recent]], 1e-9)
        weekday_sums = np.bincount(days.dt.day_of_week.to_numpy()[recent], deseasoned, minlength=7)
        weekday_days = np.bincount(days.dt.day_of_week.to_numpy()[recent], minlength=7)
        weekly = np.maximum(weekday_sums / np.maximum(weekday_days, 1), 0.0)
        weekly = weekly / weekly.mean() if weekly.mean() > 0 else np.ones(7)
        shape = yearly[doy] * weekly[days.dt.day_of_week.to_numpy()]
        holiday = holiday_flag(days, self.country).astype(bool)
        expected = self._trailing_level(y, shape) * shape
        holiday_factor = 1.0
        usable = holiday & np.isfinite(expected)
        if usable.any() and expected[usable].sum() > 0:
            holiday_factor = max(float(y[usable].sum() / expected[usable].sum()), 0.0)
        shape = shape * np.where(holiday, holiday_factor, 1.0)
        expected = self._trailing_level(y, shape) * shape
        window = slice(len(y) - min(self.level_days, len(y)), len(y))
        level = float(y[window].sum() / max(shape[window].sum(), 1e-9))
        growth = 1.0
        if len(y) >= 2 * YEAR:
            last, before = y[-YEAR:].sum(), y[-2 * YEAR : -YEAR].sum()
            if last > 0 and before > 0:
                growth = float(np.clip(last / before, 0.5, 2.0)) ** self.growth_damping
        usable = np.isfinite(expected) & (expected > 0) & (shape >= MIN_SHAPE)
        errors = y[usable] / expected[usable] - 1
        return {
            "last_day": days.iloc[-1],
            "yearly": yearly,
            "weekly": weekly,
            "holiday_factor": holiday_factor,
            "level": level,
            "daily_growth": growth ** (1 / YEAR),
            "errors": errors if errors.size else np.zeros(1),
        }

    def _trailing_level(self, y: np.ndarray, shape: np.ndarray) -> np.ndarray:
        """Each day's level as the model would have known it: the deseasonalised mean of the
        ``level_days`` days that end the day before (NaN until there are that many)."""
        window = self.level_days
        sums = pd.Series(y).rolling(window).sum().shift(1)
        weights = pd.Series(shape).rolling(window).sum().shift(1)
        return (sums / weights.where(weights > 0)).to_numpy()

    def predict(self, horizon: int, future_exog: pd.DataFrame | None = None) -> pd.DataFrame:
        future = future_frame(trained(self._train), horizon)
        q_low, q_high = interval_quantiles(self.level)
        parts = []
        for uid, rows in future.groupby(ID, sort=True):
            state = self._states[str(uid)]
            days = rows[DS].reset_index(drop=True)
            shape = (
                state["yearly"][days.dt.day_of_year.to_numpy() - 1]
                * state["weekly"][days.dt.day_of_week.to_numpy()]
                * np.where(holiday_flag(days, self.country), state["holiday_factor"], 1.0)
            )
            ahead = (days - state["last_day"]).dt.days.to_numpy() + self.level_days / 2
            mean = state["level"] * shape * state["daily_growth"] ** ahead
            errors = state["errors"]
            quantiles = np.quantile(errors, [q_low, 0.5, q_high]) - errors.mean()
            low, yhat, high = (mean * factor for factor in np.maximum(1 + quantiles, 0.0))
            parts.append(
                pd.DataFrame(
                    {
                        ID: uid,
                        DS: days,
                        YHAT: yhat,
                        LOWER: np.minimum(low, high),
                        UPPER: np.maximum(low, high),
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)[FORECAST_COLUMNS]
