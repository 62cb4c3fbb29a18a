"""Which training jobs have ended: reconciling the job rows with RQ (and with the server
processes that train without it), waiting for jobs to end, and which queued jobs no worker
is there to run."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from collections.abc import Sequence

import pandas as pd

from db.jobs import has_worker
from db.jobs import redis_connection
from db.settings import get_settings
from forecasting import store
from forecasting.jobs import JOB_TIMEOUT
from forecasting.jobs import QUEUE


def reconcile(queue: str = QUEUE, now: float | None = None) -> int:
    """Mark failed the jobs RQ has given up on: executions whose heartbeat expired before
    ``now`` (default: the current time) are moved to RQ's failed registry (calling
    ``on_job_failure``), and active rows whose RQ job failed, stopped or vanished are marked
    failed; so are jobs that trained in a server process (no job queue) and are still active
    longer than any job may run, their process having stopped before they ended. Returns the
    number of rows marked."""
    marked = _fail_abandoned(now)
    url = get_settings().redis_url
    if not url:
        return marked
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    from rq.job import JobStatus
    from rq.registry import StartedJobRegistry

    connection = redis_connection(url)
    StartedJobRegistry(queue, connection=connection).cleanup(now)
    active = store.list_jobs(limit=500, active_only=True)
    for row in active.itertuples(index=False):
        if not row.rq_job_id:
            continue
        try:
            job = Job.fetch(row.rq_job_id, connection=connection)
            status = job.get_status()
        except NoSuchJobError:
            marked += store.mark_failed(row.id, "the queued job no longer exists in Redis")
            continue
        if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
            result = job.latest_result()
            detail = (result.exc_string or "").strip().splitlines() if result else []
            marked += store.mark_failed(row.id, detail[-1] if detail else f"RQ job {status}")
    return marked


def unserved_jobs(queue: str = QUEUE, url: str | None = None) -> list[int]:
    """The ids of the jobs queued on RQ's ``queue`` while no worker listens on it: they wait
    until one is started (none without a job queue, where the server trains them itself)."""
    if not get_settings().redis_url:
        return []
    active = store.list_jobs(limit=500, active_only=True, url=url)
    waiting = active[(active["status"] == "queued") & active["rq_job_id"].notna()]
    if waiting.empty:
        return []
    if has_worker(queue):
        return []
    return sorted(int(job_id) for job_id in waiting["id"])


def _fail_abandoned(now: float | None) -> int:
    since = dt.datetime.fromtimestamp(now or time.time(), dt.UTC)
    return sum(
        store.mark_failed(job_id, "the server process training it stopped before it ended")
        for job_id in store.unqueued_active_jobs(since - dt.timedelta(seconds=JOB_TIMEOUT))
    )


def wait_for(
    job_ids: Sequence[int],
    timeout: float = JOB_TIMEOUT,
    poll: float = 1.0,
    on_update: Callable[[pd.DataFrame], None] | None = None,
) -> pd.DataFrame:
    """Poll until every job has finished (or ``timeout`` seconds pass); returns their rows."""
    deadline = time.monotonic() + timeout
    while True:
        reconcile()
        rows = pd.DataFrame([store.get_job(i) for i in job_ids])
        if on_update:
            on_update(rows)
        if not rows["status"].isin(store.ACTIVE).any() or time.monotonic() > deadline:
            return rows
        time.sleep(poll)
