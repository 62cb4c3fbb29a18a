"""Date ranges and the periods they are compared with.

A period is a closed range of calendar days in the reporting time zone.
The prior period of whole calendar months (a month, a quarter, a year) is the same
number of whole months immediately before (March → February, Q2 → Q1), so a
month is compared with a month and bucket ``i`` of a quarter with the matching
month of the quarter before; any other range is compared with the same number
of days immediately before. The same period last year is the same whole months a year
earlier for whole months (February 2025 → the whole of February 2024), else both ends
shifted back one year (29 February maps to 28).
Quarters follow the fiscal year start month from the settings.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.errors import AnalyticsError
from db.settings import get_settings

# The days a request may name: any range between them has a prior period and a last year
# that the calendar (and PostgreSQL's date) can hold.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)


def supported(day: dt.date) -> bool:
    return FIRST_DAY <= day <= LAST_DAY


def require_over(day: dt.date, now: dt.datetime | None = None, what: str | None = None) -> None:
    """Refuse ``day`` (``what`` ends on it) if it is not over yet in the reporting time zone:
    judged, checked or reported as a whole, part of a day reads as a collapse."""
    last = get_settings().last_day_over(now)
    if day > last:
        raise AnalyticsError(f"{what or day} is not over yet: the last day that is over is {last}")


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise AnalyticsError(f"end {self.end} is before start {self.start}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def prior(self) -> Period:
        end = self.start - dt.timedelta(days=1)
        months = self.whole_months()
        if months:
            index = self.start.year * 12 + self.start.month - 1 - months
            return Period(dt.date(index // 12, index % 12 + 1, 1), end)
        return Period(end - dt.timedelta(days=self.days - 1), end)

    def whole_months(self) -> int:
        """How many calendar months the period spans when it starts on a month's first day
        and ends on a month's last day; 0 otherwise."""
        if self.start.day != 1 or (self.end + dt.timedelta(days=1)).day != 1:
            return 0
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def last_year(self) -> Period:
        if self.whole_months():
            return self.months_earlier(12)
        return Period(_minus_year(self.start), _minus_year(self.end))

    def months_earlier(self, months: int) -> Period:
        """The whole months ``months`` before a period of whole months."""
        start, end = (
            (self.start.year * 12 + self.start.month - 1 - months),
            (self.end.year * 12 + self.end.month - 1 - months),
        )
        return Period(dt.date(start // 12, start % 12 + 1, 1), _month_end(end // 12, end % 12 + 1))

    def label(self, fiscal_start_month: int = 1) -> str:
        quarter = fiscal_quarter(self.start, fiscal_start_month)
        if quarter == self and self.start == quarter.start:
            number, year = fiscal_quarter_number(self.start, fiscal_start_month)
            return f"Q{number} {year}" if fiscal_start_month == 1 else f"Q{number} FY{year}"
        return f"{self.start:%d %b %Y} – {self.end:%d %b %Y}"


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _minus_year(day: dt.date) -> dt.date:
    if day.month == 2 and day.day == 29:
        return dt.date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def fiscal_quarter_number(day: dt.date, fiscal_start_month: int = 1) -> tuple[int, int]:
    """(quarter 1–4, fiscal year) of a day; the fiscal year is named by the year it ends in."""
    offset = (day.month - fiscal_start_month) % 12
    quarter = offset // 3 + 1
    fiscal_year = (
        day.year if fiscal_start_month == 1 or day.month < fiscal_start_month else day.year + 1
    )
    return quarter, fiscal_year


def fiscal_quarter(day: dt.date, fiscal_start_month: int = 1) -> Period:
    """The fiscal quarter that contains ``day``."""
    offset = (day.month - fiscal_start_month) % 12
    start_month_index = day.month - 1 - offset % 3
    start_year = day.year + start_month_index // 12
    start = dt.date(start_year, start_month_index % 12 + 1, 1)
    end_month_index = start.month - 1 + 3
    end = dt.date(start.year + end_month_index // 12, end_month_index % 12 + 1, 1) - dt.timedelta(
        days=1
    )
    return Period(start, end)


GRAINS = ("day", "week", "month", "quarter", "year")
COMPARISONS = ("prior", "yoy")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def bucket_start(days: pd.Series, grain: str, fiscal_start_month: int = 1) -> pd.Series:
    """The first day of the bucket each day falls in, as datetime64 at midnight.

    Weeks start on Monday (ISO); quarters and years start on the fiscal start month.
    Accepts dates, datetimes or datetime64 values; NaT stays NaT; the index is kept.
    """
    _check_grain(grain)
    _check_fiscal_start_month(fiscal_start_month)
    stamps = pd.to_datetime(days)
    zone = stamps.dt.tz
    local = (stamps.dt.tz_localize(None) if zone is not None else stamps).dt.normalize()
    starts = _naive_bucket_start(local, grain, fiscal_start_month).astype(local.dtype)
    return starts.dt.tz_localize(zone) if zone is not None else starts


def _naive_bucket_start(days: pd.Series, grain: str, fiscal_start_month: int) -> pd.Series:
    if grain == "day":
        return days
    if grain == "week":
        return days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    months_into_bucket = {
        "month": 0,
        "quarter": (days.dt.month - fiscal_start_month) % 3,
        "year": (days.dt.month - fiscal_start_month) % 12,
    }[grain]
    month_index = (days.dt.year * 12 + days.dt.month - 1 - months_into_bucket).to_numpy(
        dtype="float64"
    )
    # Months since 1970 as numpy months: assembling dates from year/month columns with
    # pd.to_datetime cost more than the rest of a page's share chart.
    missing = np.isnan(month_index)
    months = np.where(missing, 0, month_index - 1970 * 12).astype("int64")
    starts = months.astype("datetime64[M]").astype("datetime64[ns]")
    starts[missing] = np.datetime64("NaT")
    return pd.Series(starts, index=days.index)


def buckets(period: Period, grain: str, fiscal_start_month: int = 1) -> list[Period]:
    """The consecutive buckets covering ``period``; the first and last are clipped to it."""
    days = pd.Series(pd.date_range(period.start, period.end, freq="D"))
    starts = [stamp.date() for stamp in bucket_start(days, grain, fiscal_start_month).unique()]
    starts[0] = period.start
    ends = [start - dt.timedelta(days=1) for start in starts[1:]] + [period.end]
    return [Period(start, end) for start, end in zip(starts, ends, strict=True)]


def prior_buckets(period: Period, grain: str, fiscal_start_month: int = 1) -> list[Period | None]:
    """What each bucket of ``period`` (``buckets``) is compared with in its prior period: as
    many days just as long, so a clipped bucket meets a range of its own length. Whole months
    by month, quarter or year: the same whole months ``Period.prior`` goes back (April →
    January when a quarter is compared). Otherwise the bucket moved back by the days between
    the period's start and its prior's, rounded up to whole weeks for weeks (Monday meets
    Monday); a bucket that would then reach into the period itself has nothing to meet."""
    current = buckets(period, grain, fiscal_start_month)
    months = period.whole_months()
    if months and grain in ("month", "quarter", "year"):
        return [bucket.months_earlier(months) for bucket in current]
    days = (period.start - period.prior().start).days
    if grain == "week":
        days = -(-days // 7) * 7
    back = dt.timedelta(days=days)
    moved = (Period(bucket.start - back, bucket.end - back) for bucket in current)
    return [bucket if bucket.end < period.start else None for bucket in moved]


def compare_periods(period: Period, compare: Sequence[str]) -> dict[str, Period]:
    """The comparison periods asked for: ``prior`` (``Period.prior``), ``yoy`` (last year)."""
    requested = [compare] if isinstance(compare, str) else list(compare)
    unknown = [name for name in requested if name not in COMPARISONS]
    if unknown:
        raise AnalyticsError(
            f"unknown comparison {', '.join(map(repr, unknown))}; "
            f"use one of {', '.join(COMPARISONS)}"
        )
    builders = {"prior": period.prior, "yoy": period.last_year}
    return {name: builders[name]() for name in dict.fromkeys(requested)}


def parse_period(start: str, end: str, max_days: int) -> Period:
    """A period from two ISO dates (YYYY-MM-DD) given by a user, at most ``max_days`` long."""
    first, last = _parse_date("start", start), _parse_date("end", end)
    if last < first:
        raise AnalyticsError(f"end {last} is before start {first}")
    period = Period(first, last)
    if period.days > max_days:
        raise AnalyticsError(
            f"the range {first} – {last} is {period.days} days; the maximum is {max_days} days"
        )
    return period


def current_quarter(today: dt.date, fiscal_start_month: int = 1) -> Period:
    """The whole fiscal quarter containing ``today``."""
    _check_fiscal_start_month(fiscal_start_month)
    return fiscal_quarter(today, fiscal_start_month)


def quarter_to_date(today: dt.date, fiscal_start_month: int = 1) -> Period:
    """From the first day of the fiscal quarter containing ``today`` up to ``today`` inclusive."""
    return Period(current_quarter(today, fiscal_start_month).start, today)


def _parse_date(name: str, text: str) -> dt.date:
    value = text.strip() if isinstance(text, str) else text
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise AnalyticsError(f"{name} date {text!r} is not in the format YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise AnalyticsError(f"{name} date {text!r} is not a valid date: {error}") from None


def _check_grain(grain: str) -> None:
    if grain not in GRAINS:
        raise AnalyticsError(f"unknown grain {grain!r}; use one of {', '.join(GRAINS)}")


def _check_fiscal_start_month(month: int) -> None:
    if not 1 <= month <= 12:
        raise AnalyticsError(f"fiscal start month {month} is not between 1 and 12")
