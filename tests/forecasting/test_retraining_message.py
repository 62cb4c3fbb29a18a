"""What "Retrain now" tells its user: jobs queued for a worker (or that no worker is running to
take them), or, with no job queue configured (the demo), that training ran in the request and
how each job ended; it once said "started" after two minutes of training had finished. While a
training is queued or running, another start is refused and queues nothing (each click once
queued another full training)."""

from __future__ import annotations

import re
import threading

import pytest
import redis
from rq import Worker
from typer.testing import CliRunner

from cli.main import app
from db.jobs import get_queue
from db.jobs import resolve
from db.roles import Actor
from forecasting import jobs
from forecasting import store
from forecasting.errors import ForecastingError
from forecasting.job_watch import unserved_jobs
from forecasting.job_watch import wait_for
from forecasting.retraining import NO_WORKER
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


def test_with_a_queue_the_jobs_are_reported_queued_and_a_second_start_is_refused(
    pg_url, use_database, redis_url, monkeypatch
):
    own = redis_url.rsplit("/", 1)[0] + "/12"  # no other test's worker takes these jobs
    use_database(pg_url, redis_url=own)
    queue = get_queue(jobs.QUEUE)
    try:
        ids = start_training(SCIENTIST)
        listed = ", ".join(map(str, ids))
        assert unserved_jobs() == ids  # no worker listens on the queue
        assert started_message(ids) == f"Training jobs {listed} queued, but {NO_WORKER}."
        before = store.list_jobs(limit=100), queue.count
        waiting = f"a training is already queued (jobs {listed}), but {NO_WORKER}"
        with pytest.raises(ForecastingError, match=re.escape(waiting)):
            start_training(SCIENTIST)
        with pytest.raises(ForecastingError, match="already queued"):
            start_training(SCIENTIST, ["orders"])  # one of the groups queued
        monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # as `train` sets it
        command = CliRunner().invoke(app, ["train"])
        assert command.exit_code == 2 and "a training is already queued" in command.output
        assert store.list_jobs(limit=100).equals(before[0]) and queue.count == before[1]

        worker = Worker([queue], connection=queue.connection)
        worker.register_birth()  # a worker listening, not taking jobs
        try:
            assert unserved_jobs() == []
            assert (
                started_message(ids)
                == f"Training jobs {listed} queued: their progress shows above."
            )
            queued = (
                f"a training is already queued (jobs {listed}): start another once it has ended"
            )
            with pytest.raises(ForecastingError, match=re.escape(queued)):
                start_training(SCIENTIST)
            store.mark_running(ids[0])
            with pytest.raises(
                ForecastingError, match=re.escape(f"already running (jobs {listed})")
            ):
                start_training(SCIENTIST)
        finally:
            worker.register_death()
        assert store.list_jobs(limit=100)["id"].tolist() == before[0]["id"].tolist()
        assert queue.count == before[1]
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
        with pytest.raises(ForecastingError, match="a training is already queued"):
            start_training(SCIENTIST, in_background=True)  # one training at a time
        assert store.list_jobs(limit=100).equals(jobs_before)
    finally:
        RELEASE.set()
    rows = wait_for(ids, timeout=120, poll=0.2)
    assert set(rows["status"]) == {"failed"}  # no orders: each group ends failed, none hangs
