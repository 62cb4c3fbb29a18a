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
def redis_connection(url: str):
    from redis import Redis

    return Redis.from_url(url)


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
