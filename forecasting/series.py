"""The long series format shared by every forecasting module: ``unique_id, ds, y`` (+ exog).

Series are regular and complete: one row per ``unique_id`` and period, no gaps. The service's
channel series are daily; other frequencies (monthly, quarterly ...) are read from the dates,
and their season length follows (``season_length``). Every other numeric column is an
exogenous regressor (spend, promotions, price ...).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from analytics.periods import LAST_DAY
from forecasting.errors import ForecastingError

ID, DS, Y = "unique_id", "ds", "y"
YHAT, LOWER, UPPER = "yhat", "yhat_lower", "yhat_upper"
FORECAST_COLUMNS = [ID, DS, YHAT, LOWER, UPPER]
DEFAULT_LEVEL = 80
"""Default prediction-interval level in percent: ``yhat_lower``/``yhat_upper`` are the
10 % and 90 % quantiles."""


SEASONS = {"D": 7, "B": 5, "W": 52, "M": 12, "Q": 4, "Y": 1, "A": 1, "H": 24, "h": 24}
"""Season length per frequency family: a week of days, a year of weeks, months, quarters."""


def frequency(frame: pd.DataFrame) -> str:
    """The pandas frequency of the frame's dates, read from its longest series (``D`` when a
    series is too short to tell)."""
    sizes = frame.groupby(ID, sort=False).size()
    days = frame.loc[frame[ID] == sizes.idxmax(), DS]
    if len(days) < 3:
        return "D"
    with pd.option_context("future.infer_freq_returns_offset", True):
        found = pd.infer_freq(pd.DatetimeIndex(days))
    if found is None:
        first = days.iloc[0]
        raise ForecastingError(f"series dates are not regular (gap or uneven steps after {first})")
    return found.freqstr


def season_length(freq: str) -> int:
    """Observations per season: 7 for daily, 12 for monthly, 4 for quarterly data."""
    name = to_offset(freq).rule_code
    family = name.split("-")[0].rstrip("SE") or name[0]
    return SEASONS.get(family, SEASONS.get(name[0], 1))


def validate_series(frame: pd.DataFrame, *, require_y: bool = True) -> pd.DataFrame:
    """Check and normalise a long frame: sorted by id and date, ``ds`` regular datetimes.

    Raises ForecastingError for missing columns, non-numeric or missing ``y``, duplicated
    days or gaps in a series.
    """
    needed = [ID, DS, Y] if require_y else [ID, DS]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise ForecastingError(f"series frame lacks column(s) {missing}; has {list(frame.columns)}")
    if frame.empty:
        raise ForecastingError("series frame is empty")
    out = frame.copy()
    out[ID] = out[ID].astype(str)
    try:
        out[DS] = pd.to_datetime(out[DS]).dt.normalize()
    except (ValueError, TypeError) as exc:
        raise ForecastingError(f"column {DS!r} holds values that are not dates: {exc}") from exc
    if getattr(out[DS].dt, "tz", None) is not None:
        out[DS] = out[DS].dt.tz_localize(None)
    out[DS] = out[DS].astype("datetime64[ns]")
    late = out[DS] > pd.Timestamp(LAST_DAY)
    if late.any():
        bad = out.loc[late, [ID, DS]].head(3).to_dict("records")
        raise ForecastingError(f"days after {LAST_DAY} cannot be forecast from, e.g. {bad}")
    if require_y:
        y = pd.to_numeric(out[Y], errors="coerce").astype(float)
        unusable = ~np.isfinite(y)
        if unusable.any():
            bad = out.loc[unusable, [ID, DS]].head(3).to_dict("records")
            raise ForecastingError(
                f"column {Y!r} has missing, non-numeric or infinite values, e.g. {bad}"
            )
        out[Y] = y
    duplicated = out.duplicated([ID, DS])
    if duplicated.any():
        bad = out.loc[duplicated, [ID, DS]].head(3).to_dict("records")
        raise ForecastingError(f"duplicated days in series, e.g. {bad}")
    out = out.sort_values([ID, DS], kind="stable").reset_index(drop=True)
    steps = out.groupby(ID, sort=False)[DS].diff().dropna()
    if (steps == pd.Timedelta(days=1)).all():
        return out
    freq = frequency(out)
    if freq != "D":
        expected = out.groupby(ID, sort=False)[DS].transform(
            lambda days: pd.date_range(days.iloc[0], periods=len(days), freq=freq)
        )
        if (expected == out[DS]).all():
            return out
        steps = steps.where(expected.loc[steps.index] == out.loc[steps.index, DS], pd.NaT)
    gap = out.loc[steps[steps != pd.Timedelta(days=1)].index[0], [ID, DS]].to_dict()
    raise ForecastingError(f"series must be regular without gaps; gap before {gap}")


def exog_columns(frame: pd.DataFrame) -> list[str]:
    """The exogenous regressors of a long frame: every numeric column besides id, ds, y."""
    return [
        c for c in frame.columns if c not in (ID, DS, Y) and pd.api.types.is_numeric_dtype(frame[c])
    ]


def min_length(frame: pd.DataFrame) -> int:
    return int(frame.groupby(ID).size().min())


def future_frame(train: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """The ``unique_id, ds`` rows of the ``horizon`` periods after each series' last date."""
    if horizon < 1:
        raise ForecastingError(f"horizon must be at least 1 period, got {horizon}")
    last = train.groupby(ID, sort=True)[DS].max()
    freq = frequency(train)
    if freq == "D":
        steps = pd.to_timedelta(range(1, horizon + 1), unit="D").values
        days = (last.values[:, None] + steps[None, :]).ravel()
    else:
        days = np.concatenate(
            [pd.date_range(day, periods=horizon + 1, freq=freq)[1:].values for day in last]
        )
    return pd.DataFrame({ID: last.index.repeat(horizon), DS: days})


def complete_future_exog(
    train: pd.DataFrame, future_exog: pd.DataFrame | None, horizon: int, columns: list[str]
) -> pd.DataFrame:
    """Future rows with every exog column the model was trained on.

    Values given in ``future_exog`` (planned spend, promotions, prices) win; a value not
    given repeats the series' value on the same weekday of its last week (seasonal naive),
    so a model trained with regressors can still forecast when no plan exists.
    """
    future = future_frame(train, horizon)
    if not columns:
        return future
    last_week = train.groupby(ID, sort=False).tail(7).copy()
    last_week["dow"] = last_week[DS].dt.day_of_week
    future["dow"] = future[DS].dt.day_of_week
    future = future.merge(last_week[[ID, "dow", *columns]], on=[ID, "dow"], how="left")
    future = future.drop(columns="dow")
    if future_exog is not None and not future_exog.empty:
        given = future_exog.copy()
        given[ID] = given[ID].astype(str)
        given[DS] = pd.to_datetime(given[DS]).astype("datetime64[ns]")
        shared = [c for c in columns if c in given.columns]
        if shared:
            planned = future[[ID, DS]].merge(given[[ID, DS, *shared]], on=[ID, DS], how="left")
            for column in shared:
                future[column] = planned[column].fillna(future[column]).to_numpy()
    return future
