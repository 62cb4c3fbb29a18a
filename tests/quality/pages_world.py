"""The quality demo database (shared by the quality tests) and, on it, the pages' world: the
demo logins and validation runs of ten days, the one on ``FAILED_DAY`` failing.

A pytest plugin (tests/conftest.py loads it) so that the pages' browser test shares it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from analytics.quality.runner import run_validation
from analytics.quality.tolerances import Tolerances
from db.migrate import upgrade
from db.users import ensure_demo_users
from tests.conftest import create_database
from tests.conftest import drop_database
from tests.conftest import load_demo

QUALITY_ORDERS = 3000
FAILED_DAY = dt.date(2026, 6, 27)


@pytest.fixture(scope="session")
def quality_demo() -> Iterator:
    url = create_database("cp_quality")
    upgrade(url)
    data = load_demo(url, n_orders=QUALITY_ORDERS)
    data.loaded_at = dt.datetime.now(dt.UTC)
    yield data
    drop_database(url)


@pytest.fixture
def quality_db(quality_demo, use_database):
    """The shared quality database, made the configured database for this test."""
    use_database(quality_demo.url)
    return quality_demo


@pytest.fixture
def pages_db(quality_db):
    ensure_demo_users()
    for n in range(10):
        run_validation(dt.date(2026, 6, 30) - dt.timedelta(days=n))
    # A failing run: the sources look stale from three days later.
    run_validation(
        FAILED_DAY,
        tolerances=Tolerances(freshness_lag=dt.timedelta(hours=1)),
        now=dt.datetime.now(dt.UTC) + dt.timedelta(days=3),
    )
    return quality_db
