"""Background jobs: RQ queues on Redis when configured, otherwise run in-process.

Jobs are named by dotted path ("package.module.function") so the enqueuing
side never imports the job's package: ingestion can ask for alert evaluation
without depending on analytics.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from db.settings import get_settings

QUEUES = ("ingest", "alerts", "forecasting", "default")


@dataclass(frozen=True)
class JobRef:
    id: str | None
    queued: bool  # False: it already ran in-process
    result: Any = None


def resolve(path: str) -> Callable:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


@lru_cache(maxsize=4)
def redis_connection(url: str, **options):
    """A Redis client for ``url`` (``options``: redis-py's, such as its socket timeouts)."""
    from redis import Redis

    return Redis.from_url(url, **options)


def get_queue(name: str = "default", url: str | None = None):
    from rq import Queue

    url = url or get_settings().redis_url
    if not url:
        raise RuntimeError("no Redis configured (CHANNELPERF_REDIS_URL)")
    return Queue(name, connection=redis_connection(url))


def enqueue(path: str, *args, queue: str = "default", job_timeout: int = 3600, **kwargs) -> JobRef:
    """Queue ``path(*args, **kwargs)`` on RQ, or run it now when no Redis is configured."""
    if not get_settings().redis_url:
        return JobRef(None, False, resolve(path)(*args, **kwargs))
    job = get_queue(queue).enqueue(path, *args, job_timeout=job_timeout, **kwargs)
    return JobRef(job.id, True)


def pending_job(path: str, args: tuple, queue: str) -> str | None:
    """The id of a job of ``path(*args)`` waiting or running on ``queue``: None without one,
    and without Redis (where nothing waits)."""
    if not get_settings().redis_url:
        return None
    from rq.job import Job
    from rq.registry import StartedJobRegistry

    waiting = get_queue(queue)
    ids = [*waiting.get_job_ids(), *StartedJobRegistry(queue=waiting).get_job_ids()]
    for job in Job.fetch_many(ids, connection=waiting.connection):
        if job is not None and job.func_name == path and tuple(job.args) == tuple(args):
            return job.id
    return None


def has_worker(queue: str) -> bool:
    """Whether an RQ worker listens on ``queue`` (True without Redis: this process runs it)."""
    if not get_settings().redis_url:
        return True
    from rq import Worker

    return bool(Worker.all(queue=get_queue(queue)))


@dataclass(frozen=True)
class JobStatus:
    state: str  # queued | started | finished | failed | … (RQ's), or "unknown"
    stage: str | None  # what the job says it is doing (its meta "stage")
    result: Any = None
    error: str | None = None


def job_status(job_id: str, queue: str = "default") -> JobStatus:
    """Where a queued job is: its RQ state, the stage it reported, its result or last error line."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(job_id, connection=get_queue(queue).connection)
    except NoSuchJobError:
        return JobStatus("unknown", None)
    state = job.get_status(refresh=True)
    state = getattr(state, "value", state) or "unknown"
    error = None
    if state == "failed":
        trace = (job.latest_result().exc_string if job.latest_result() else "") or ""
        error = trace.strip().splitlines()[-1] if trace.strip() else "the job failed"
    return JobStatus(state, job.meta.get("stage"), job.return_value(), error)


def report_stage(stage: str) -> None:
    """Tell whoever polls the running RQ job what it is doing (nothing outside a job)."""
    from rq import get_current_job

    job = get_current_job()
    if job is not None:
        job.meta["stage"] = stage
        job.save_meta()
