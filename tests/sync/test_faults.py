"""Fault tests on real PostgreSQL: a sync process killed with SIGKILL in the middle of a batch
leaves whole pages only and, restarted, ends with the totals of a clean run; a PostgreSQL
restart during a sync is survived by reconnecting and retrying with backoff."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from db.engine import get_engine
from ingestion.worker import pull
from tests.sync.conftest import SOURCE
from tests.sync.shop import TOKEN
from tests.sync.shop import TOKEN_ENV
from tests.sync.shop import database_totals
from tests.sync.shop import expected_totals
from tests.sync.shop import make_order

# It restarts PostgreSQL: run alone, after the parallel pass (make test).
pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.serial]
ROOT = Path(__file__).resolve().parents[2]
SYNC_COMMAND = [
    sys.executable,
    "-c",
    "from cli.main import app; app()",
    "ingest",
    "source",
    SOURCE,
]


def _committed_runs(conn) -> int:
    return conn.execute(
        text("SELECT count(*) FROM ingest_run WHERE status = 'succeeded' AND stream = 'orders'")
    ).scalar()


def _wait_for_runs(engine, count: int, timeout: float = 90.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            done = _committed_runs(conn)
        if done >= count:
            return done
        time.sleep(0.02)
    raise AssertionError(f"fewer than {count} pages committed within {timeout} s")


def _wait_until_alone(engine, timeout: float = 30.0) -> None:
    """Until no other session is connected to the test database (the killed one has gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            others = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar()
        if not others:
            return
        time.sleep(0.05)
    raise AssertionError("the killed process's session did not end")


def test_sync_killed_mid_batch_and_restarted_equals_a_clean_run(shop_source, pg_url):
    orders = [make_order(n) for n in range(2400)]
    page_size = 100
    shop_source(orders, page_size=page_size)
    env = {**os.environ, "CHANNELPERF_DATABASE_URL": pg_url, TOKEN_ENV: TOKEN}
    env["CHANNELPERF_SYNC_JOIN_RECORDS"] = str(3 * page_size)  # three pages a load
    env.pop("CHANNELPERF_REDIS_URL", None)
    engine = get_engine()

    process = subprocess.Popen(SYNC_COMMAND, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        _wait_for_runs(engine, 3)
        time.sleep(0.03)  # into the next load's transaction
        assert process.poll() is None, "the sync finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    get_engine().dispose()
    _wait_until_alone(engine)

    # Only whole pages are in: exactly the shop's orders up to the stored cursor, a whole
    # number of its pages, and fewer than all.
    with engine.connect() as conn:
        assert _committed_runs(conn) >= 3
        cursor = conn.execute(text("SELECT cursor FROM sync_state")).scalar()
        loaded = [o for o in orders if o["updated_at"] <= cursor]
        assert len(loaded) % page_size == 0 and 3 * page_size <= len(loaded) < len(orders)
        assert database_totals(conn) == expected_totals(loaded)

    restarted = subprocess.run(SYNC_COMMAND, cwd=ROOT, env=env, capture_output=True, timeout=300)
    assert restarted.returncode == 0, restarted.stderr.decode()[-2000:]
    with engine.connect() as conn:
        assert database_totals(conn) == expected_totals(orders)
        runs = conn.execute(
            text("SELECT read, inserted, updated, unchanged, rejected FROM ingest_run")
        ).all()
    assert all(r.read == r.inserted + r.updated + r.unchanged + r.rejected for r in runs)
    assert sum(r.inserted for r in runs) == len(orders)


def _restart_postgres() -> None:
    version = os.listdir("/etc/postgresql")[0]
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
        check=True,
        timeout=120,
        capture_output=True,
    )


def test_sync_survives_a_postgres_restart(shop_source, pg_url, use_database):
    use_database(pg_url, sync_join_records="100")  # two pages a load
    orders = [make_order(n) for n in range(1500)]
    shop_source(orders, page_size=50, delay=0.1)
    engine = get_engine()
    with engine.connect() as conn:
        started = conn.execute(text("SELECT pg_postmaster_start_time()")).scalar()
    outcome: dict = {}

    def sync() -> None:
        try:
            outcome["result"] = pull(SOURCE)
        except Exception as exc:  # noqa: BLE001 — reported by the assertion below
            outcome["error"] = exc

    worker = threading.Thread(target=sync)
    worker.start()
    _wait_for_runs(engine, 3)
    _restart_postgres()
    worker.join(timeout=300)
    assert not worker.is_alive()
    assert "error" not in outcome, outcome.get("error")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_postmaster_start_time()")).scalar() > started
        assert database_totals(conn) == expected_totals(orders)
        runs = conn.execute(
            text("SELECT read, inserted, updated, unchanged, rejected FROM ingest_run")
        ).all()
    assert all(r.read == r.inserted + r.updated + r.unchanged + r.rejected for r in runs)
