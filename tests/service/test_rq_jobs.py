"""Training jobs through a real RQ worker on Redis: one run succeeds and publishes its
champions; a worker killed mid-job leaves the champion alone and the job marked failed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest

from forecasting import registry
from forecasting.job_watch import reconcile
from forecasting.jobs import enqueue_training
from forecasting.store import get_job
from forecasting.store import read_forecasts

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
QUICK = {"horizon": 14, "folds": 1, "models": ["lightgbm"]}


@pytest.fixture
def service(pg_url, demo_copy, redis_url, use_database, tmp_path, monkeypatch):
    """A small demo database, a private MLflow store and a private queue name."""
    demo_copy(pg_url, n_orders=4000, seed=5)
    tracking = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking)
    use_database(pg_url, redis_url=redis_url)
    queue = f"forecasting-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "CHANNELPERF_DATABASE_URL": pg_url,
        "CHANNELPERF_REDIS_URL": redis_url,
        "MLFLOW_TRACKING_URI": tracking,
        "PYTHONPATH": str(ROOT),
    }
    return {"queue": queue, "env": env, "redis": redis_url, "tracking": tracking}


def worker(service, burst: bool) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).with_name("rq")),
        "worker",
        "--url",
        service["redis"],
        "--name",
        f"cp-test-{uuid.uuid4().hex[:8]}",
        *(["--burst"] if burst else []),
        service["queue"],
    ]
    return subprocess.Popen(
        command,
        env=service["env"],
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def run_burst(service) -> None:
    process = worker(service, burst=True)
    try:
        process.wait(timeout=300)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def test_training_job_runs_on_a_real_worker_and_publishes_champions(service):
    (job_id,) = enqueue_training(["orders"], queue=service["queue"], **QUICK)
    assert get_job(job_id)["status"] == "queued" and get_job(job_id)["rq_job_id"]
    run_burst(service)
    job = get_job(job_id)
    assert job["status"] == "succeeded", job["error"]
    assert job["progress"] == 1.0 and job["finished_at"] >= job["started_at"]
    series = sorted(job["result"]["series"])
    assert series and all(s.endswith(":orders") for s in series)
    assert {s.split(":")[0] for s in series} == {"total", "category", "touchpoint"}
    assert job["result"]["reconciliation"] in {"bottom_up", "top_down", "mint_shrink"}
    stored = read_forecasts(series)
    assert stored.groupby("unique_id").size().eq(14).all()
    wide = stored.pivot(index="ds", columns="unique_id", values="yhat")
    touchpoints = [s for s in series if s.startswith("touchpoint:")]
    assert (wide["total:all:orders"] - wide[touchpoints].sum(axis=1)).abs().max() < 1e-3
    for uid in series:
        champion = registry.load_champion(uid, uri=service["tracking"])
        assert registry.champion_version(uid, uri=service["tracking"]) == "1"
        mine = stored[stored["unique_id"] == uid].reset_index(drop=True)
        pd.testing.assert_series_equal(
            mine["yhat"], champion.forecast["yhat"].round(4), check_names=False, atol=1e-4
        )
        assert (mine["version"] == "1").all() and (mine["model"] == champion.model_name).all()


def test_a_killed_worker_leaves_the_champion_and_marks_the_job_failed(service):
    (first,) = enqueue_training(["orders"], queue=service["queue"], **QUICK)
    run_burst(service)
    assert get_job(first)["status"] == "succeeded"
    series = sorted(get_job(first)["result"]["series"])
    before = read_forecasts(series)

    slow = {"horizon": 56, "folds": 3, "models": ["prophet", "lightgbm"]}
    (second,) = enqueue_training(["orders"], queue=service["queue"], **slow)
    process = worker(service, burst=False)
    try:
        deadline = time.monotonic() + 120
        while get_job(second)["status"] != "running" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert get_job(second)["status"] == "running"
        time.sleep(1.5)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert get_job(second)["status"] == "running"  # nobody has noticed yet
    # RQ notices an abandoned job once its execution's heartbeat TTL (≤ 90 s) has expired;
    # reconcile as of a time past that instead of sleeping through it.
    reconcile(service["queue"], now=time.time() + 120)
    job = get_job(second)
    assert job["status"] == "failed"
    assert "AbandonedJobError" in job["error"]
    for uid in series:
        assert registry.champion_version(uid, uri=service["tracking"]) == "1"
    pd.testing.assert_frame_equal(read_forecasts(series), before)
