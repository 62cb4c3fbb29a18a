"""Reading the daily rollup: sums of the additive measures for any slice, grouped by any dimensions.

This is the one place analytics queries the rollup (SQLAlchemy Core); every
page, alert, export and API answer builds on it. A read that neither groups nor
filters by region or location is answered from the channel rollup (the same facts
summed per day and touchpoint, a fiftieth of the rows), the others from the daily
rollup itself.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Float
from sqlalchemy import Select
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import select

from analytics.cache import memoise
from analytics.channels import NO_STORE
from analytics.channels import NONE
from analytics.channels import NOT_REGIONAL
from analytics.channels import category
from analytics.channels import check_level
from analytics.channels import location
from analytics.channels import region
from analytics.channels import touchpoint
from analytics.errors import AnalyticsError
from analytics.metrics import BASE_MEASURES
from analytics.metrics import with_derived
from analytics.periods import Period
from db.engine import get_engine
from db.frames import read_frame
from db.rollup_tables import DailyChannelRollup
from db.rollup_tables import DailyRollup
from db.schema import NO_PLACE
from db.schema import DataStamp

rollup = DailyRollup.__table__
channel_rollup = DailyChannelRollup.__table__

# dimension -> (code column, label column)
DIMENSIONS = {
    "category": (category.c.code, category.c.name),
    "touchpoint": (touchpoint.c.code, touchpoint.c.name),
    "region": (
        func.coalesce(region.c.code, literal(NONE)),
        func.coalesce(region.c.name, literal(NOT_REGIONAL)),
    ),
    "location": (
        func.coalesce(location.c.code, literal(NONE)),
        func.coalesce(location.c.name, literal(NO_STORE)),
    ),
    "day": (None, None),  # the day column of whichever rollup answers the read
}
PLACES = ("region", "location")


@dataclass(frozen=True)
class Filters:
    """Codes to keep per dimension; an empty tuple keeps everything."""

    categories: tuple[str, ...] = ()
    touchpoints: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()

    @classmethod
    def of(cls, **values: object) -> Filters:
        return cls(**{k: tuple(v) if v else () for k, v in values.items()})


def answering_rollup(by: Iterable[str], filters: Filters, daily, per_channel):
    """``per_channel`` (a rollup summed over regions and locations) unless the read groups or
    filters by region or location; then ``daily``."""
    if set(by) & set(PLACES) or filters.regions or filters.locations:
        return daily
    return per_channel


def base_query(period: Period | None, filters: Filters, source, day=None) -> Select:
    """A select over the rows of ``source`` (a rollup, or with ``day`` its own day column, a
    fact table) in ``period`` (``None``: ``source`` holds the period's rows only, as
    ``summed_over_period`` does), joined to the channel dimensions (and to regions and
    locations where the source has them), with ``filters`` applied."""
    query = (
        select()
        .select_from(source)
        .join(touchpoint, touchpoint.c.id == source.c.touchpoint_id)
        .join(category, category.c.id == touchpoint.c.category_id)
    )
    if period is not None:
        day = source.c.day if day is None else day
        query = query.where(day.between(period.start, period.end))
    if "region_id" in source.c:
        query = query.outerjoin(
            region, (region.c.id == source.c.region_id) & (source.c.region_id != NO_PLACE)
        ).outerjoin(
            location,
            (location.c.id == source.c.location_id) & (source.c.location_id != NO_PLACE),
        )
    for values, column in (
        (filters.categories, category.c.code),
        (filters.touchpoints, touchpoint.c.code),
        (filters.regions, func.coalesce(region.c.code, literal(NONE))),
        (filters.locations, func.coalesce(location.c.code, literal(NONE))),
    ):
        if values:
            query = query.where(column.in_(values))
    return query


def summed_over_period(source, period: Period, measures: Iterable[str]):
    """A subquery of ``source`` (a rollup table) summed over the days of ``period`` per the rest
    of its key, to hand ``base_query`` with no period: a long period's rows are aggregated
    before the dimension joins instead of each being joined first."""
    keys = [c for c in source.primary_key.columns if c.name != "day"]
    return (
        select(*keys, *(func.sum(source.c[m]).label(m) for m in measures))
        .where(source.c.day.between(period.start, period.end))
        .group_by(*keys)
        .subquery()
    )


@memoise(periods=lambda arguments: [arguments["period"]])
def rollup_sums(
    period: Period,
    by: tuple[str, ...] = (),
    filters: Filters | None = None,
    url: str | None = None,
) -> pd.DataFrame:
    """Summed measures (plus net revenue and gross profit) per group of ``by`` for the period.

    With ``by=()`` the frame has one row: the totals of the slice (zeros if empty).
    """
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown:
        raise AnalyticsError(f"unknown dimension(s) {unknown}; known: {', '.join(DIMENSIONS)}")
    filters = filters or Filters()
    source = answering_rollup(by, filters, rollup, channel_rollup)
    group_columns = []
    for dimension in by:
        code, label = DIMENSIONS[dimension]
        code = source.c.day if dimension == "day" else code
        group_columns.append(code.label(dimension))
        if label is not None:
            group_columns.append(label.label(f"{dimension}_name"))
    # Summed exactly as NUMERIC, handed over as float8: the frame holds floats anyway, and
    # converting Decimal objects in Python cost more than the query.
    sums = [cast(func.coalesce(func.sum(source.c[m]), 0), Float).label(m) for m in BASE_MEASURES]
    query = base_query(period, filters, source).add_columns(*group_columns, *sums)
    if group_columns:
        query = query.group_by(*group_columns).order_by(*group_columns)
    with get_engine(url).connect() as conn:
        frame = read_frame(conn, query)
    # Only an empty result needs converting (its columns have no dtype yet): an astype of
    # every column costs more than the query.
    untyped = {m: "float64" for m in BASE_MEASURES if frame[m].dtype != "float64"}
    if untyped:
        frame = frame.astype(untyped)
    if "day" in frame.columns:
        frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return with_derived(frame)


def prefetch_rollups(
    reads: Iterable[tuple[Period, tuple[str, ...]]],
    filters: Filters | None = None,
    url: str | None = None,
    also: Iterable[Callable[[], object]] = (),
) -> None:
    """Run the ``rollup_sums`` reads (period, by) a view is about to make side by side,
    with ``also``: the view's other memoised reads (its targets, say).

    Each read mostly waits on PostgreSQL, so on a cold cache a view's reads cost about
    the slowest one rather than their sum; the view's own calls then find them memoised.
    """
    calls = [
        functools.partial(rollup_sums, period, by, filters, url)
        for period, by in dict.fromkeys(reads)
    ] + list(also)
    if len(calls) < 2:
        return
    with ThreadPoolExecutor(max_workers=min(len(calls), 4)) as pool:
        for _ in pool.map(lambda call: call(), calls):
            pass


def daily_sums(
    period: Period, level: str, filters: Filters | None = None, url: str | None = None
) -> pd.DataFrame:
    """Summed measures per day × member of a channel level on a full grid: days without
    activity are zeros."""
    check_level(level)
    frame = rollup_sums(period, ("day", level), filters, url)
    names = frame.drop_duplicates(level).set_index(level)[f"{level}_name"]
    days = pd.date_range(period.start, period.end, freq="D").date
    grid = pd.MultiIndex.from_product([days, names.index], names=["day", level])
    sums = frame.set_index(["day", level])[list(BASE_MEASURES)].reindex(grid, fill_value=0.0)
    sums = with_derived(sums.reset_index())
    sums[f"{level}_name"] = sums[level].map(names)
    return sums


def data_as_of(url: str | None = None) -> dt.datetime | None:
    """When an ingest batch last changed the data."""
    with get_engine(url).connect() as conn:
        return conn.execute(
            select(DataStamp.__table__.c.at).where(DataStamp.__table__.c.name == "data")
        ).scalar()


def data_range(url: str | None = None) -> tuple[dt.date, dt.date] | None:
    """First and last day with orders (refunds may trail the last order day)."""
    with get_engine(url).connect() as conn:
        first, last = conn.execute(
            select(func.min(channel_rollup.c.day), func.max(channel_rollup.c.day)).where(
                channel_rollup.c.orders > 0
            )
        ).one()
    if first is None:
        return None
    return pd.Timestamp(first).date(), pd.Timestamp(last).date()


def channel_options(url: str | None = None, active_only: bool = False) -> pd.DataFrame:
    """Categories and their touchpoints (codes and names), for filters and labels; pickers ask
    for the ``active_only`` ones (retired channels keep their history but are not offered)."""
    query = (
        select(
            category.c.code.label("category"),
            category.c.name.label("category_name"),
            touchpoint.c.code.label("touchpoint"),
            touchpoint.c.name.label("touchpoint_name"),
        )
        .join(touchpoint, touchpoint.c.category_id == category.c.id)
        .order_by(category.c.sort_order, touchpoint.c.sort_order)
    )
    if active_only:
        query = query.where(touchpoint.c.retired_at.is_(None), category.c.retired_at.is_(None))
    with get_engine(url).connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all())


def channels_within(filters: Filters, url: str | None = None) -> pd.DataFrame:
    """The touchpoints (``channel_options`` rows) a filter's categories and touchpoints keep;
    every one when it names none. Data kept per touchpoint (journeys, prices) is narrowed so."""
    channels = channel_options(url)
    if channels.empty:
        return channels
    if filters.categories:
        channels = channels[channels["category"].isin(filters.categories)]
    if filters.touchpoints:
        channels = channels[channels["touchpoint"].isin(filters.touchpoints)]
    return channels.reset_index(drop=True)
