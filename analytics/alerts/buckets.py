"""The buckets a rule is judged on: a day, a Monday–Sunday week or a calendar month.

A rule is judged on its grain's **latest complete bucket** as of a day: the day itself, the
week ending on or before it, or the calendar month ending on or before it.
"""

from __future__ import annotations

import datetime as dt

from analytics.errors import AnalyticsError
from analytics.periods import Period


def latest_complete_bucket(as_of: dt.date, grain: str) -> Period:
    if grain == "day":
        return Period(as_of, as_of)
    if grain == "week":
        end = as_of - dt.timedelta(days=(as_of.weekday() + 1) % 7)
        return Period(end - dt.timedelta(days=6), end)
    if grain == "month":
        next_day = as_of + dt.timedelta(days=1)
        end = as_of if next_day.month != as_of.month else as_of.replace(day=1) - dt.timedelta(1)
        return Period(end.replace(day=1), end)
    raise AnalyticsError(f"unknown rule grain {grain!r}")


def bucket_of(day: dt.date, grain: str) -> dt.date:
    """The first day of the bucket holding ``day``."""
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def previous_bucket(bucket: Period, grain: str) -> Period:
    if grain == "month":
        end = bucket.start - dt.timedelta(days=1)
        return Period(end.replace(day=1), end)
    return bucket.prior()


def shifted(bucket: Period, days: int) -> Period:
    shift = dt.timedelta(days=days)
    return Period(bucket.start - shift, bucket.end - shift)


def a_cycle_before(bucket: Period, grain: str) -> Period:
    """The same weekday a week before for days, the previous week or month otherwise."""
    return shifted(bucket, 7) if grain == "day" else previous_bucket(bucket, grain)


def buckets_back(start: dt.date, grain: str, count: int) -> dt.date:
    """The first day of the bucket ``count`` buckets before the one starting on ``start``."""
    if grain == "day":
        return start - dt.timedelta(days=count)
    if grain == "week":
        return start - dt.timedelta(days=7 * count)
    index = start.year * 12 + start.month - 1 - count
    return dt.date(index // 12, index % 12 + 1, 1)
