"""A company that has set no targets yet: the Overview and the weekly report show every KPI
without a target (they once failed with a KeyError when no target row overlapped the period)."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.periods import Period
from analytics.prorated_targets import targets_for
from analytics.reports.pdf import render_pdf
from analytics.reports.summary import build_weekly_summary
from analytics.rollup import Filters
from analytics.views.overview import KPI_METRICS
from analytics.views.overview import build_overview

pytestmark = pytest.mark.postgres
JUNE = Period(dt.date(2026, 6, 1), dt.date(2026, 6, 30))


def test_without_targets_every_kpi_has_none_and_the_pages_still_build(pg_url, use_database):
    use_database(pg_url)
    assert targets_for(KPI_METRICS, JUNE) == dict.fromkeys(KPI_METRICS)
    overview = build_overview(JUNE)
    assert [kpi.target for kpi in overview.kpis.values()] == [None] * len(KPI_METRICS)
    summary = build_weekly_summary(Period(dt.date(2026, 6, 22), dt.date(2026, 6, 28)))
    assert render_pdf(summary).startswith(b"%PDF")


def test_a_channel_code_that_names_nothing_shows_an_empty_slice_without_a_target(
    pg_url, use_database
):
    """A crafted or stale address (``?channels=category:gone``) reads as a slice with no orders."""
    use_database(pg_url)
    for filters in (Filters(categories=("gone",)), Filters(touchpoints=("gone",))):
        overview = build_overview(JUNE, filters)
        assert [kpi.target for kpi in overview.kpis.values()] == [None] * len(KPI_METRICS)
        assert overview.by_channel.empty
