import datetime as dt
import itertools

import pandas as pd
import pytest

from analytics.errors import AnalyticsError
from analytics.periods import GRAINS
from analytics.periods import Period
from analytics.periods import bucket_start
from analytics.periods import buckets
from analytics.periods import compare_periods
from analytics.periods import current_quarter
from analytics.periods import fiscal_quarter
from analytics.periods import fiscal_quarter_number
from analytics.periods import parse_period
from analytics.periods import prior_buckets
from analytics.periods import quarter_to_date


def every_day(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def reference_fiscal_quarter_start(day: dt.date, fiscal_start_month: int) -> dt.date:
    """Walk back month by month until a month that opens a fiscal quarter."""
    year, month = day.year, day.month
    while (month - fiscal_start_month) % 3:
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return dt.date(year, month, 1)


def test_week_buckets_start_on_iso_monday_across_a_year_end():
    days = every_day(dt.date(2024, 12, 20), dt.date(2025, 1, 12))
    got = bucket_start(pd.Series(days), "week")
    expected = [dt.date.fromisocalendar(*d.isocalendar()[:2], 1) for d in days]
    assert [stamp.date() for stamp in got] == expected
    # 30 Dec 2024 is the Monday of ISO week 1 of 2025: 31 Dec and 1 Jan share it.
    assert got[days.index(dt.date(2024, 12, 31))] == got[days.index(dt.date(2025, 1, 1))]
    assert got[days.index(dt.date(2025, 1, 1))].date() == dt.date(2024, 12, 30)


def test_week_buckets_of_a_period_are_clipped_to_it():
    period = Period(dt.date(2024, 12, 27), dt.date(2025, 1, 8))
    assert buckets(period, "week") == [
        Period(dt.date(2024, 12, 27), dt.date(2024, 12, 29)),
        Period(dt.date(2024, 12, 30), dt.date(2025, 1, 5)),
        Period(dt.date(2025, 1, 6), dt.date(2025, 1, 8)),
    ]


@pytest.mark.parametrize("grain", GRAINS)
@pytest.mark.parametrize("fiscal_start_month", [1, 4, 10])
def test_buckets_tile_the_period_without_gaps(grain, fiscal_start_month):
    period = Period(dt.date(2023, 11, 17), dt.date(2025, 2, 3))
    parts = buckets(period, grain, fiscal_start_month)
    assert parts[0].start == period.start
    assert parts[-1].end == period.end
    assert all(b.start == a.end + dt.timedelta(days=1) for a, b in itertools.pairwise(parts))
    starts = bucket_start(pd.Series(every_day(period.start, period.end)), grain, fiscal_start_month)
    assert len(parts) == starts.nunique()


@pytest.mark.parametrize("fiscal_start_month", [4, 10])
def test_quarter_and_year_buckets_follow_the_fiscal_start(fiscal_start_month):
    days = every_day(dt.date(2023, 1, 1), dt.date(2025, 12, 31))
    series = pd.Series(days)
    quarters = bucket_start(series, "quarter", fiscal_start_month)
    years = bucket_start(series, "year", fiscal_start_month)
    expected_quarters = [reference_fiscal_quarter_start(d, fiscal_start_month) for d in days]
    expected_years = [
        dt.date(d.year if d.month >= fiscal_start_month else d.year - 1, fiscal_start_month, 1)
        for d in days
    ]
    assert [s.date() for s in quarters] == expected_quarters
    assert [s.date() for s in years] == expected_years
    assert [s.date() for s in quarters] == [
        fiscal_quarter(d, fiscal_start_month).start for d in days
    ]


def test_month_buckets_and_missing_days():
    series = pd.Series([dt.date(2024, 2, 29), None, dt.date(2024, 3, 1)], index=[7, 8, 9])
    got = bucket_start(series, "month")
    assert list(got.index) == [7, 8, 9]
    assert got[7] == pd.Timestamp("2024-02-01")
    assert pd.isna(got[8])
    assert got[9] == pd.Timestamp("2024-03-01")


def test_bucket_start_keeps_local_wall_time_across_daylight_saving():
    stamps = pd.Series(pd.to_datetime(["2024-04-03 13:00", "2024-10-30 01:00"]))
    local = stamps.dt.tz_localize("Europe/Berlin")
    got = bucket_start(local, "week")
    assert list(got.dt.tz_localize(None)) == [
        pd.Timestamp("2024-04-01"),
        pd.Timestamp("2024-10-28"),
    ]


def test_unknown_grain_is_refused():
    with pytest.raises(AnalyticsError, match="fortnight"):
        bucket_start(pd.Series([dt.date(2024, 1, 1)]), "fortnight")


def test_leap_day_maps_to_28_february_last_year():
    assert Period(dt.date(2024, 2, 29), dt.date(2024, 2, 29)).last_year() == Period(
        dt.date(2023, 2, 28), dt.date(2023, 2, 28)
    )


def test_a_range_containing_the_leap_day():
    period = Period(dt.date(2024, 2, 20), dt.date(2024, 3, 5))
    assert period.days == 15
    assert period.prior() == Period(dt.date(2024, 2, 5), dt.date(2024, 2, 19))
    last_year = period.last_year()
    assert last_year == Period(dt.date(2023, 2, 20), dt.date(2023, 3, 5))
    assert last_year.days == 14  # 2023 has no 29 February
    assert buckets(period, "month") == [
        Period(dt.date(2024, 2, 20), dt.date(2024, 2, 29)),
        Period(dt.date(2024, 3, 1), dt.date(2024, 3, 5)),
    ]


@pytest.mark.parametrize(
    ("start", "end", "ly_start", "ly_end"),
    [
        ("2025-02-01", "2025-02-28", "2024-02-01", "2024-02-29"),
        ("2024-02-01", "2024-02-29", "2023-02-01", "2023-02-28"),
        ("2025-01-01", "2025-03-31", "2024-01-01", "2024-03-31"),
        ("2025-02-02", "2025-02-28", "2024-02-02", "2024-02-28"),
    ],
)
def test_whole_months_last_year_are_the_same_whole_months(start, end, ly_start, ly_end):
    period = Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    assert period.last_year() == Period(
        dt.date.fromisoformat(ly_start), dt.date.fromisoformat(ly_end)
    )


def _ranges(bucketed):
    return [None if b is None else (b.start.isoformat(), b.end.isoformat()) for b in bucketed]


def test_each_bucket_meets_a_range_as_long_in_the_prior_period():
    """15 Dec 2025 (a Monday) to 20 Jan 2026, 37 days: weeks go back 6 whole weeks, months
    37 days; a whole quarter's months go back a quarter; March's days beyond February's
    length meet nothing."""
    custom = Period(dt.date(2025, 12, 15), dt.date(2026, 1, 20))
    weeks = _ranges(prior_buckets(custom, "week"))
    assert weeks[0] == ("2025-11-03", "2025-11-09") and weeks[-1] == ("2025-12-08", "2025-12-09")
    assert _ranges(prior_buckets(custom, "month")) == [
        ("2025-11-08", "2025-11-24"),
        ("2025-11-25", "2025-12-14"),
    ]
    quarter = Period(dt.date(2025, 4, 1), dt.date(2025, 6, 30))
    assert _ranges(prior_buckets(quarter, "month")) == [
        ("2025-01-01", "2025-01-31"),
        ("2025-02-01", "2025-02-28"),
        ("2025-03-01", "2025-03-31"),
    ]
    march = _ranges(prior_buckets(Period(dt.date(2025, 3, 1), dt.date(2025, 3, 31)), "day"))
    assert march[0] == ("2025-02-01", "2025-02-01") and march[27] == ("2025-02-28", "2025-02-28")
    assert march[28:] == [None, None, None]


def test_compare_periods_returns_each_requested_comparison():
    period = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31))
    got = compare_periods(period, ["prior", "yoy"])
    assert got == {
        "prior": Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        "yoy": Period(dt.date(2023, 3, 1), dt.date(2023, 3, 31)),
    }
    assert compare_periods(period, ["yoy"]) == {"yoy": got["yoy"]}
    assert compare_periods(period, "prior") == {"prior": got["prior"]}
    assert compare_periods(period, []) == {}


@pytest.mark.parametrize(
    ("start", "end", "prior_start", "prior_end"),
    [
        # Whole months: the same number of whole months just before, whatever their days.
        ("2024-03-01", "2024-03-31", "2024-02-01", "2024-02-29"),
        ("2026-04-01", "2026-06-30", "2026-01-01", "2026-03-31"),
        ("2026-01-01", "2026-03-31", "2025-10-01", "2025-12-31"),
        ("2025-07-01", "2026-06-30", "2024-07-01", "2025-06-30"),
        ("2024-02-01", "2024-02-29", "2024-01-01", "2024-01-31"),
        # Anything else: the same number of days just before.
        ("2026-04-01", "2026-06-29", "2026-01-01", "2026-03-31"),
        ("2026-04-02", "2026-06-30", "2026-01-02", "2026-04-01"),
        ("2026-06-01", "2026-06-07", "2026-05-25", "2026-05-31"),
        ("2026-06-30", "2026-06-30", "2026-06-29", "2026-06-29"),
    ],
)
def test_prior_period_of_whole_months_is_whole_months(start, end, prior_start, prior_end):
    period = Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    assert period.prior() == Period(
        dt.date.fromisoformat(prior_start), dt.date.fromisoformat(prior_end)
    )


def test_compare_periods_names_an_unknown_comparison():
    with pytest.raises(AnalyticsError, match="'budget'"):
        compare_periods(Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31)), ["prior", "budget"])


def test_parse_period_accepts_iso_dates():
    assert parse_period("2024-02-01", "2024-02-29", max_days=31) == Period(
        dt.date(2024, 2, 1), dt.date(2024, 2, 29)
    )
    assert parse_period("2024-02-01", "2024-02-01", max_days=1).days == 1


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("01/02/2024", "2024-02-10", "start date '01/02/2024' is not in the format YYYY-MM-DD"),
        ("2024-02-01", "20240210", "end date '20240210' is not in the format YYYY-MM-DD"),
        ("2023-02-29", "2023-03-10", "start date '2023-02-29' is not a valid date"),
        ("2024-02-10", "2024-02-01", "end 2024-02-01 is before start 2024-02-10"),
        ("2024-01-01", "2024-12-31", "366 days; the maximum is 365 days"),
    ],
)
def test_parse_period_explains_what_is_wrong(start, end, message):
    with pytest.raises(AnalyticsError, match=message):
        parse_period(start, end, max_days=365)


@pytest.mark.parametrize(
    ("today", "fiscal_start_month", "expected", "label"),
    [
        (dt.date(2024, 5, 17), 1, Period(dt.date(2024, 4, 1), dt.date(2024, 6, 30)), "Q2 2024"),
        (dt.date(2024, 5, 17), 4, Period(dt.date(2024, 4, 1), dt.date(2024, 6, 30)), "Q1 FY2025"),
        (dt.date(2024, 2, 29), 4, Period(dt.date(2024, 1, 1), dt.date(2024, 3, 31)), "Q4 FY2024"),
        (
            dt.date(2024, 10, 1),
            10,
            Period(dt.date(2024, 10, 1), dt.date(2024, 12, 31)),
            "Q1 FY2025",
        ),
        (dt.date(2025, 9, 30), 10, Period(dt.date(2025, 7, 1), dt.date(2025, 9, 30)), "Q4 FY2025"),
        (dt.date(2025, 1, 15), 11, Period(dt.date(2024, 11, 1), dt.date(2025, 1, 31)), "Q1 FY2025"),
    ],
)
def test_current_quarter_and_its_label(today, fiscal_start_month, expected, label):
    quarter = current_quarter(today, fiscal_start_month)
    assert quarter == expected
    assert quarter.label(fiscal_start_month) == label
    assert quarter_to_date(today, fiscal_start_month) == Period(expected.start, today)
    number, _ = fiscal_quarter_number(today, fiscal_start_month)
    assert label.startswith(f"Q{number} ")


def test_labels_of_ranges_that_are_not_quarters():
    assert Period(dt.date(2024, 4, 1), dt.date(2024, 5, 15)).label(4) == "01 Apr 2024 – 15 May 2024"
    # A calendar quarter is not a quarter of a fiscal year that starts in February.
    assert Period(dt.date(2024, 4, 1), dt.date(2024, 6, 30)).label(2) == "01 Apr 2024 – 30 Jun 2024"


def test_fiscal_start_month_must_be_a_month():
    with pytest.raises(AnalyticsError, match="13"):
        current_quarter(dt.date(2024, 1, 1), 13)
