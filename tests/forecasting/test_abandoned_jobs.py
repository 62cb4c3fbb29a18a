"""Jobs that trained in a server process (no job queue) whose process stopped mid-training:
once active for longer than any job may run, reconciling marks them failed, on PostgreSQL and
on the demo's SQLite alike; younger ones and queued ones are left to run."""

from __future__ import annotations

import time

import pytest

from forecasting import store
from forecasting.job_watch import reconcile
from forecasting.jobs import JOB_TIMEOUT


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["pg_url", "sqlite_url"])
def test_jobs_of_a_stopped_server_process_are_failed_once_past_the_timeout(database, request):
    request.getfixturevalue(database)
    running = store.create_job("revenue", "scientist")
    store.mark_running(running)
    waiting = store.create_job("orders", "scientist")
    queued = store.create_job("orders", "scientist")
    store.attach_rq_job(queued, "rq-123")
    assert reconcile(now=time.time() + 60) == 0  # still young: it may be training
    assert reconcile(now=time.time() + JOB_TIMEOUT + 60) == 2
    for job_id in (running, waiting):
        job = store.get_job(job_id)
        assert job["status"] == "failed"
        assert job["error"] == "the server process training it stopped before it ended"
    assert store.get_job(queued)["status"] == "queued"  # RQ's to judge, with Redis
