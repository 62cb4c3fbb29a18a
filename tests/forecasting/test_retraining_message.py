"""What "Retrain now" tells its user: jobs queued for a worker, or, with no job queue
configured (the demo), that training ran in the request and how each job ended; it once said
"started" after two minutes of training had finished."""

from __future__ import annotations

import threading

import pytest
import redis

from db.jobs import resolve
from db.roles import Actor
from forecasting import jobs
from forecasting import store
from forecasting.errors import ForecastingError
from forecasting.job_watch import wait_for
from forecasting.retraining import start_training
from forecasting.retraining import started_message

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
SCIENTIST = Actor("scientist", "data_scientist")
REAL_JOB = jobs.JOB_PATH
RELEASE = threading.Event()


def test_without_a_queue_the_message_says_how_each_job_ended(pg_url, use_database):
    use_database(pg_url)  # no orders: each group fails at once, in this process
    ids = start_training(SCIENTIST)
    assert [store.get_job(i)["status"] for i in ids] == ["failed"] * len(ids)
    ended = ", ".join(f"{i} failed" for i in ids)
    assert started_message(ids) == f"Training ran here, with no job queue configured: jobs {ended}."


def test_with_a_queue_the_jobs_are_reported_queued(pg_url, use_database, redis_url):
    own = redis_url.rsplit("/", 1)[0] + "/12"  # no other test's worker takes these jobs
    use_database(pg_url, redis_url=own)
    try:
        ids = start_training(SCIENTIST)
        listed = ", ".join(map(str, ids))
        assert started_message(ids) == f"Training jobs {listed} queued: their progress shows above."
    finally:
        redis.Redis.from_url(own).flushdb()


def _held_job(*args, **kwargs):
    """The training job, started only once the test lets it (a job that takes its time)."""
    assert RELEASE.wait(timeout=60)
    return resolve(REAL_JOB)(*args, **kwargs)


def test_in_the_background_the_request_returns_while_the_jobs_train(
    pg_url, use_database, monkeypatch
):
    """The Models page's "Retrain now" without a job queue: the jobs train in a thread of the
    server, so the request answers at once and the jobs grid follows their progress."""
    use_database(pg_url)
    monkeypatch.setattr(jobs, "JOB_PATH", f"{__name__}._held_job")
    RELEASE.clear()
    try:
        ids = start_training(SCIENTIST, in_background=True)
        assert [store.get_job(i)["status"] for i in ids] == ["queued"] * len(ids)
        assert started_message(ids) == (
            f"Training jobs {', '.join(map(str, ids))} started in this server, one after another "
            "(no job queue configured): their progress shows above."
        )
        jobs_before = store.list_jobs(limit=100)
        with pytest.raises(ForecastingError, match="still running"):
            start_training(SCIENTIST, in_background=True)  # one training at a time
        assert store.list_jobs(limit=100).equals(jobs_before)
    finally:
        RELEASE.set()
    rows = wait_for(ids, timeout=120, poll=0.2)
    assert set(rows["status"]) == {"failed"}  # no orders: each group ends failed, none hangs
