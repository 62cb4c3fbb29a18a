"""Shared fixtures: real PostgreSQL and Redis, a fresh migrated database per test session.

Under CI (CI=true) a missing service fails the tests that need it instead of
skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
import redis

from db.engine import get_engine
from db.migrate import upgrade
from db.roles import system
from db.settings import get_settings

# Command output (rich tables) is read by the tests: one width whether or not pytest runs
# on a terminal or in xdist workers (which set COLUMNS=80 before any command module loads).
os.environ["COLUMNS"] = "200"

# Fixtures that tests of more than one folder use (a folder's conftest is seen by it alone).
pytest_plugins = ("tests.quality.pages_world", "tests.sync.pages_world")

PG_ADMIN_URL = os.environ.get("CHANNELPERF_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_TEST_URL = os.environ.get("CHANNELPERF_TEST_REDIS", "redis://127.0.0.1:6379/0")


def service_missing(what: str, error: Exception) -> None:
    message = f"{what} is not reachable: {error}"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def create_database(prefix: str = "cp_test") -> str:
    """A new empty PostgreSQL database; returns its SQLAlchemy URL."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        service_missing("PostgreSQL", exc)
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}"


def drop_database(url: str) -> None:
    get_engine(url).dispose()
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def configured_database(prefix: str) -> Iterator[str]:
    """A new migrated PostgreSQL database, the configured one while the block runs."""
    with pytest.MonkeyPatch.context() as patch:
        url = create_database(prefix)
        patch.setenv("CHANNELPERF_DATABASE_URL", url)
        get_settings.cache_clear()
        upgrade(url)
        yield url
    get_settings.cache_clear()


@pytest.fixture
def use_database(monkeypatch):
    """Point the settings (and so every get_engine() call) at a URL for one test."""

    def point(url: str, **env: str) -> None:
        monkeypatch.setenv("CHANNELPERF_DATABASE_URL", url)
        for name, value in env.items():
            monkeypatch.setenv(f"CHANNELPERF_{name.upper()}", value)
        get_settings.cache_clear()

    yield point
    get_settings.cache_clear()


@pytest.fixture
def pg_url(use_database) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test, made the configured database."""
    url = create_database()
    upgrade(url)
    use_database(url)
    yield url
    drop_database(url)


@pytest.fixture
def sqlite_url(tmp_path, use_database) -> str:
    url = f"sqlite:///{tmp_path / 'channelperf.db'}"
    upgrade(url)
    use_database(url)
    return url


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        service_missing("Redis", exc)
    return REDIS_TEST_URL


DEMO_END = "2026-06-30"
DEMO_ORDERS = 20_000
DEMO_SEED = 11
# Days per loaded chunk: each chunk is one transaction with a fixed cost of statements, so
# test databases load in a few large chunks (the generator's output does not depend on it).
DEMO_CHUNK_DAYS = 120


class DemoData:
    """A loaded demo database and the generator's own frames, for independent checks."""

    def __init__(self, url: str, chunks: list, targets):
        import pandas as pd

        self.url = url
        self.targets = targets
        self.orders = pd.concat([c.orders.orders for c in chunks], ignore_index=True)
        self.lines = pd.concat([c.orders.lines for c in chunks], ignore_index=True)
        self.refunds = pd.concat([c.orders.refunds for c in chunks], ignore_index=True)
        self.traffic = pd.concat([c.traffic for c in chunks], ignore_index=True)
        self.spend = pd.concat([c.spend for c in chunks], ignore_index=True)
        self.chunks = chunks


def load_demo(
    url: str, n_orders: int = DEMO_ORDERS, seed: int = DEMO_SEED, years: int = 3, end=None
):
    """The demo data set (ending on ``end``, by default ``DEMO_END``) loaded into ``url``."""
    import datetime as dt

    from analytics.targets import import_targets
    from ingestion.demo import generate
    from ingestion.demo import generate_targets
    from ingestion.demo import reference_data
    from ingestion.pipeline import load_chunk
    from ingestion.reference import upsert_reference

    end = end or dt.date.fromisoformat(DEMO_END)
    reference = reference_data()
    engine = get_engine(url)
    with engine.begin() as conn:
        upsert_reference(conn, reference.regions, reference.locations, reference.products)
    chunks = list(generate(n_orders, seed, end, years=years, chunk_days=DEMO_CHUNK_DAYS))
    for chunk in chunks:
        load_chunk(engine, chunk, "demo", f"seed-{seed}")
    targets = generate_targets(n_orders, seed, end, years=years)
    import_targets(targets, actor=system("tests"), url=url)
    return DemoData(url, chunks, targets)


@pytest.fixture(scope="session")
def demo_db() -> Iterator[DemoData]:
    """A PostgreSQL database with the demo data loaded, shared by the tests that only read it."""
    with configured_database("cp_demo") as url:
        data = load_demo(url)
    yield data
    drop_database(url)


@pytest.fixture(scope="session")
def demo_copy() -> Iterator:
    """``copy(url, n_orders, seed)``: the demo data set into the test database ``url``, copied
    from a database loaded once per session with those parameters (PostgreSQL copies a
    template database's files, far faster than loading the same orders again)."""
    templates: dict[tuple[int, int], tuple[str, DemoData]] = {}

    def copy(url: str, n_orders: int, seed: int) -> DemoData:
        if (n_orders, seed) not in templates:
            template = create_database("cp_template")
            upgrade(template)
            templates[n_orders, seed] = template, load_demo(template, n_orders, seed)
            get_engine(template).dispose()
        template, data = templates[n_orders, seed]
        drop_database(url)
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(
                f'CREATE DATABASE "{url.rsplit("/", 1)[1]}" TEMPLATE "{template.rsplit("/", 1)[1]}"'
            )
        return DemoData(url, data.chunks, data.targets)

    yield copy
    for template, _ in templates.values():
        drop_database(template)


@pytest.fixture
def demo(demo_db, use_database) -> DemoData:
    use_database(demo_db.url)
    return demo_db


@pytest.fixture(scope="module")
def command_world_db(tmp_path_factory):
    """A database with one of everything a command acts on (``tests.command_world``)."""
    from tests.command_world import seeded_world

    yield from seeded_world(tmp_path_factory)


@pytest.fixture
def command_world(command_world_db, use_database, monkeypatch):
    """``command_world_db`` made the configured database, with no Redis (jobs run in-process)."""
    use_database(command_world_db.url)
    monkeypatch.delenv("CHANNELPERF_REDIS_URL", raising=False)
    return command_world_db
