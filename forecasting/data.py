"""Series for forecasting, read from the daily rollups (SQLAlchemy Core).

* channel series: daily net revenue (gross less refunds) or orders per channel category or
  touchpoint, or of all channels (``total:all``), with that channel's marketing spend as an
  exogenous column, as complete daily frames (a day without rows is a zero) with ids
  ``<dimension>:<code>:<measure>``; ``hierarchy_series`` reads all three levels at once with
  the hierarchy they form (touchpoints ⊂ categories ⊂ total);
* spend vs revenue per touchpoint, for saturation curves;
* each series' shift in share between its recent actuals and its forecast.

Stock and unit demand per product × location are in ``forecasting.stock_data``.

Money leaves the database as Decimal and becomes float here: these frames feed statistical
fits and charts only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import select

from db.engine import get_engine
from db.rollup_tables import DailyRollup
from db.schema import ChannelCategory
from db.schema import Touchpoint
from db.settings import get_settings
from forecasting.errors import ForecastingError
from forecasting.reconcile import Hierarchy
from forecasting.series import DS
from forecasting.series import ID
from forecasting.series import Y

rollup = DailyRollup.__table__
touchpoint = Touchpoint.__table__
category = ChannelCategory.__table__

DIMENSIONS = {"category": category, "touchpoint": touchpoint}
TOTAL, ALL = "total", "all"
"""The top of the hierarchy: ``total:all:<measure>``, every channel together."""
MEASURES = ("revenue", "orders")
SPEND = "spend"


@dataclass(frozen=True)
class SeriesId:
    dimension: str
    code: str
    measure: str

    def __str__(self) -> str:
        return f"{self.dimension}:{self.code}:{self.measure}"

    @classmethod
    def parse(cls, unique_id: str) -> SeriesId:
        parts = str(unique_id).split(":")
        if len(parts) != 3:
            raise ForecastingError(f"not a channel series id: {unique_id!r}")
        return cls(*parts)


def _measure_column(measure: str):
    if measure == "revenue":
        return func.sum(rollup.c.gross_revenue) - func.sum(rollup.c.refunds)
    if measure == "orders":
        return func.sum(rollup.c.orders)
    raise ForecastingError(f"unknown measure {measure!r}; choose one of {MEASURES}")


def complete_daily(frame: pd.DataFrame, columns: list[str], first, last) -> pd.DataFrame:
    """One row per ``unique_id`` and day from ``first`` to ``last``; missing days are zeros."""
    days = pd.date_range(first, last, freq="D")
    ids = sorted(frame[ID].unique())
    grid = pd.MultiIndex.from_product([ids, days], names=[ID, DS])
    out = frame.set_index([ID, DS])[columns].reindex(grid, fill_value=0.0).reset_index()
    return out.astype({c: float for c in columns})


def _check_dimension(dimension: str) -> None:
    if dimension not in (*DIMENSIONS, TOTAL):
        raise ForecastingError(
            f"unknown dimension {dimension!r}; choose one of {[*DIMENSIONS, TOTAL]}"
        )


def _daily_sums(dimension: str, measure: str):
    """``ds, code, y, spend`` per day and channel of ``dimension`` from the daily rollup."""
    total = dimension == TOTAL
    code = literal(ALL) if total else DIMENSIONS[dimension].c.code
    return (
        select(
            rollup.c.day.label(DS),
            code.label("code"),
            _measure_column(measure).label(Y),
            func.sum(rollup.c.spend).label(SPEND),
        )
        .select_from(rollup)
        .join(touchpoint, touchpoint.c.id == rollup.c.touchpoint_id)
        .join(category, category.c.id == touchpoint.c.category_id)
        .group_by(*([rollup.c.day] if total else [rollup.c.day, code]))
    )


def channel_series(
    dimension: str,
    measure: str,
    end: dt.date | None = None,
    url: str | None = None,
) -> pd.DataFrame:
    """``unique_id, ds, y, spend`` per channel of ``dimension`` from the first day with orders
    to ``end`` (default: the last day that is over, ``Settings.last_day_over``: today so far
    would read as a collapse) or the last day with orders if earlier. Channels with no activity
    are left out."""
    _check_dimension(dimension)
    query = _daily_sums(dimension, measure)
    bounds = select(func.min(rollup.c.day), func.max(rollup.c.day)).where(rollup.c.orders > 0)
    with get_engine(url).connect() as conn:
        first, last = conn.execute(bounds).one()
        if first is None:
            raise ForecastingError("no orders in the database yet")
        first = pd.Timestamp(first).date()
        last = min(pd.Timestamp(last).date(), end or get_settings().last_day_over())
        if last < first:
            raise ForecastingError(f"no day with orders up to {last} yet")
        frame = pd.DataFrame(conn.execute(query.where(rollup.c.day <= last)).mappings().all())
    frame[ID] = [str(SeriesId(dimension, c, measure)) for c in frame["code"]]
    frame[DS] = pd.to_datetime(frame[DS])
    frame[Y] = frame[Y].astype(float)
    frame[SPEND] = frame[SPEND].astype(float)
    out = complete_daily(frame, [Y, SPEND], first, last)
    active = out.groupby(ID)[Y].transform(lambda y: (y != 0).any())
    return out[active].reset_index(drop=True)


def planned_spend(
    dimension: str, measure: str, after: dt.date, horizon: int, url: str | None = None
) -> pd.DataFrame:
    """``unique_id, ds, spend``: the marketing spend already booked for the ``horizon`` days
    after ``after`` (ad budgets are set ahead of the sales they buy), per channel with any.

    The forecast takes it as the plan; days without booked spend fall back to the last
    week's spend (``complete_future_exog``)."""
    _check_dimension(dimension)
    last = after + dt.timedelta(days=horizon)
    query = _daily_sums(dimension, measure).where(rollup.c.day > after, rollup.c.day <= last)
    with get_engine(url).connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all(), columns=[DS, "code", Y, SPEND])
    frame = frame[frame[SPEND] > 0]
    return pd.DataFrame(
        {
            ID: [str(SeriesId(dimension, c, measure)) for c in frame["code"]],
            DS: pd.to_datetime(frame[DS]),
            SPEND: frame[SPEND].astype(float),
        }
    ).reset_index(drop=True)


def hierarchy_series(
    measure: str, end: dt.date | None = None, url: str | None = None
) -> tuple[pd.DataFrame, Hierarchy]:
    """The total, category and touchpoint series of ``measure`` (as ``channel_series``) and the
    hierarchy they form: each category sums its touchpoints, the total all of them."""
    frames = [channel_series(d, measure, end, url) for d in (TOTAL, "category", "touchpoint")]
    query = select(touchpoint.c.code, category.c.code).join(
        category, category.c.id == touchpoint.c.category_id
    )
    with get_engine(url).connect() as conn:
        parent = dict(conn.execute(query).all())
    bottom = sorted(frames[2][ID].unique())
    aggregates: dict[str, list[str]] = {str(SeriesId(TOTAL, ALL, measure)): bottom}
    for uid in bottom:
        code = SeriesId.parse(uid).code
        aggregates.setdefault(str(SeriesId("category", parent[code], measure)), []).append(uid)
    hierarchy = Hierarchy(tuple(bottom), {k: tuple(v) for k, v in aggregates.items()})
    return pd.concat(frames, ignore_index=True), hierarchy


def channel_names(url: str | None = None) -> dict[str, str]:
    """Display name of every category and touchpoint series prefix, e.g. ``category:web``,
    and ``total:all`` (all channels)."""
    with get_engine(url).connect() as conn:
        rows = [
            (f"{dimension}:{code}", name)
            for dimension, table in DIMENSIONS.items()
            for code, name in conn.execute(select(table.c.code, table.c.name))
        ]
    return {f"{TOTAL}:{ALL}": "All channels", **dict(rows)}


def spend_and_revenue(url: str | None = None) -> pd.DataFrame:
    """``touchpoint, touchpoint_name, ds, spend, revenue`` per day for every touchpoint that has
    marketing spend (days without rows are zeros)."""
    query = (
        select(
            touchpoint.c.code.label("touchpoint"),
            rollup.c.day.label(DS),
            func.sum(rollup.c.spend).label("spend"),
            (func.sum(rollup.c.gross_revenue) - func.sum(rollup.c.refunds)).label("revenue"),
        )
        .join(touchpoint, touchpoint.c.id == rollup.c.touchpoint_id)
        .group_by(touchpoint.c.code, rollup.c.day)
    )
    with get_engine(url).connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all())
        names = dict(conn.execute(select(touchpoint.c.code, touchpoint.c.name)).all())
    if frame.empty:
        return pd.DataFrame(columns=["touchpoint", "touchpoint_name", DS, "spend", "revenue"])
    frame[DS] = pd.to_datetime(frame[DS])
    frame = frame.rename(columns={"touchpoint": ID})
    out = complete_daily(frame, ["spend", "revenue"], frame[DS].min(), frame[DS].max())
    out = out.rename(columns={ID: "touchpoint"})
    with_spend = out.groupby("touchpoint")["spend"].transform("sum") > 0
    out = out[with_spend].reset_index(drop=True)
    out.insert(1, "touchpoint_name", out["touchpoint"].map(names))
    return out


def demand_shifts(
    actuals: pd.DataFrame, forecasts: pd.DataFrame, threshold: float, recent_days: int = 56
) -> pd.DataFrame:
    """Each series' share of the total in its recent actuals (last ``recent_days``) and in its
    forecast; ``flagged`` where the share moves by more than ``threshold`` (e.g. 0.02 = 2
    points). Inputs are long frames (``unique_id, ds, y`` and ``unique_id, ds, yhat``)."""
    last = actuals[DS].max()
    recent = actuals[actuals[DS] > last - pd.Timedelta(days=recent_days)].groupby(ID)[Y].sum()
    ahead = forecasts.groupby(ID)["yhat"].sum().clip(lower=0)
    shared = recent.index.intersection(ahead.index)
    out = pd.DataFrame(
        {
            "recent_share": recent[shared] / recent[shared].sum(),
            "forecast_share": ahead[shared] / ahead[shared].sum(),
        }
    )
    out["change"] = out["forecast_share"] - out["recent_share"]
    out["flagged"] = out["change"].abs() > threshold
    return out.reset_index().rename(columns={"index": ID})
