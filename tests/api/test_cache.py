"""Caching of the analytics data functions, invalidated by the ingest batches that touch their days.

Queries are counted on the real engine; batches are real ``load_chunk`` runs,
whose after-batch hook (in-process without Redis) renews the touched days' stamps.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from contextlib import contextmanager

import pytest
import redis
from sqlalchemy import event

from analytics.cache import invalidate_days
from analytics.cache import namespace
from analytics.cache import stamp_keys
from analytics.metric_table import metric_table
from analytics.periods import Period
from analytics.rollup import rollup_sums
from analytics.targets import TargetInput
from analytics.targets import set_target
from analytics.views.targets import variance_table
from db.engine import get_engine
from db.events import BATCH_HOOKS
from db.roles import system
from ingestion.demo import generate
from ingestion.demo import reference_data
from ingestion.pipeline import load_chunk
from ingestion.reference import upsert_reference
from tests.conftest import configured_database
from tests.conftest import drop_database

pytestmark = pytest.mark.postgres

END = dt.date(2026, 6, 30)


@contextmanager
def counted(url: str):
    """Yields a list that collects every SQL statement run on the database meanwhile, but the
    reads of the cache's own stamps (``analytics.cache_stamps``: the database keeps them when
    there is no Redis)."""
    statements: list[str] = []
    engine = get_engine(url)

    def record(conn, cursor, statement, *args):
        if "data_stamp" not in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture(scope="module")
def cache_db():
    """All but the last four weeks of a small demo loaded; yields (url, the remaining chunk)."""
    with configured_database("cp_api_cache") as url:
        engine = get_engine(url)
        reference = reference_data()
        with engine.begin() as conn:
            upsert_reference(conn, reference.regions, reference.locations, reference.products)
        chunks = list(generate(600, 5, END, years=1, chunk_days=28))
        for chunk in chunks[:-1]:
            load_chunk(engine, chunk, "demo", "cache")
    yield url, chunks[-1]
    drop_database(url)


@pytest.fixture
def loaded(cache_db, use_database):
    use_database(cache_db[0])
    return cache_db


def test_the_hook_is_registered():
    assert "analytics.cache.invalidate_days" in BATCH_HOOKS


def test_stamps_cover_whole_months_by_month_and_the_rest_by_day():
    keys = stamp_keys([Period(dt.date(2024, 1, 30), dt.date(2024, 3, 2))])
    assert keys == ["d2024-01-30", "d2024-01-31", "d2024-03-01", "d2024-03-02", "m2024-02"]


def test_cached_result_is_served_without_a_query_until_a_batch_touches_its_days(loaded):
    url, last_chunk = loaded
    touched = Period(last_chunk.first_day, last_chunk.last_day)
    untouched = Period(dt.date(2025, 9, 1), dt.date(2025, 10, 31))
    assert untouched.end < touched.start

    before_touched = rollup_sums(touched, ("category",))
    before_untouched = metric_table("revenue", "month", untouched, ("prior",))
    with counted(url) as statements:
        again = rollup_sums(touched, ("category",))
        again_table = metric_table("revenue", "month", untouched, ("prior",))
    assert statements == []
    assert again.equals(before_touched) and again_table.equals(before_untouched)

    load_chunk(get_engine(url), last_chunk, "demo", "cache")  # the batch of the touched days

    with counted(url) as statements:
        after_untouched = metric_table("revenue", "month", untouched, ("prior",))
    assert statements == [], "a batch on other days must not flush this result"
    assert after_untouched.equals(before_untouched)

    with counted(url) as statements:
        after_touched = rollup_sums(touched, ("category",))
    assert len(statements) == 1
    assert after_touched["orders"].sum() > before_touched["orders"].sum()
    fresh = rollup_sums.uncached(touched, ("category",))
    assert after_touched.equals(fresh)


def test_a_month_stamp_invalidates_a_whole_month_result(loaded):
    url, _ = loaded
    month = Period(dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    rollup_sums(month)
    invalidate_days(["2026-02-01"])
    with counted(url) as statements:
        rollup_sums(month)
    assert statements == []
    invalidate_days(["2026-01-17"])
    with counted(url) as statements:
        rollup_sums(month)
    assert len(statements) == 1


def test_a_target_edit_reaches_a_cached_variance_table_without_order_changes(loaded):
    url, _ = loaded
    quarter = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))

    def revenue_target() -> float:
        table = variance_table(quarter)
        row = table[(table["channel"] == "total") & (table["metric"] == "revenue")]
        return float(row["target"].iloc[0])

    set_target(_quarter_target(quarter, 123_456), actor=system("tests"))
    assert revenue_target() == pytest.approx(123_456)
    with counted(url) as statements:
        assert revenue_target() == pytest.approx(123_456)
    assert not [s for s in statements if "FROM target" in s], "targets come from the cache"
    set_target(_quarter_target(quarter, 654_321), actor=system("tests"))
    assert revenue_target() == pytest.approx(654_321)


def _renew_in_another_process(url: str, day: str) -> None:
    """``invalidate_days`` run by a process of its own (as a CLI command or the ingest worker
    would), without Redis like this one."""
    script = (
        "import sys\n"
        "from analytics.cache import invalidate_days\n"
        "invalidate_days([sys.argv[2]], sys.argv[1])\n"
    )
    environment = {k: v for k, v in os.environ.items() if k != "CHANNELPERF_REDIS_URL"}
    subprocess.run([sys.executable, "-c", script, url, day], check=True, env=environment)


def test_without_redis_a_change_in_another_process_reaches_this_ones_results(loaded):
    """Gunicorn's workers, the CLI and the ingest worker are separate processes: a stamp
    renewed by one must make the results it covers unreachable in every other."""
    url, _ = loaded
    month = Period(dt.date(2025, 11, 1), dt.date(2025, 11, 30))
    rollup_sums(month)
    with counted(url) as statements:
        rollup_sums(month)
    assert statements == []
    _renew_in_another_process(url, "2025-11-12")
    with counted(url) as statements:
        rollup_sums(month)
    assert len(statements) == 1


def _quarter_target(quarter: Period, value: int) -> TargetInput:
    return TargetInput(
        "total", "total", "revenue", quarter.start.isoformat(), quarter.end.isoformat(), str(value)
    )


@pytest.mark.redis
def test_redis_backend_keeps_stamps_and_entries_in_redis(loaded, redis_url, use_database):
    url, _ = loaded
    use_database(url, redis_url=redis_url)
    client = redis.Redis.from_url(redis_url)
    period = Period(dt.date(2026, 3, 5), dt.date(2026, 4, 30))
    try:
        first = metric_table("orders", "channel", period, ("yoy",))
        assert list(client.scan_iter(f"channelperf:analytics:{namespace(url)}:*"))
        with counted(url) as statements:
            assert metric_table("orders", "channel", period, ("yoy",)).equals(first)
        assert statements == []
        invalidate_days(["2025-03-10"])  # a day of the last-year period only
        assert client.exists(f"channelperf:analytics:stamp:{namespace(url)}:d2025-03-10")
        with counted(url) as statements:
            assert metric_table("orders", "channel", period, ("yoy",)).equals(first)
        assert len(statements) == 1, "only the last-year rollup read is redone"
    finally:
        for pattern in (
            f"channelperf:analytics:{namespace(url)}:*",
            f"channelperf:analytics:stamp:{namespace(url)}:*",
        ):
            for key in client.scan_iter(pattern):
                client.delete(key)
