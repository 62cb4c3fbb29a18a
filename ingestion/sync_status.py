"""Sync status per configured source, for the Sources page and `channelperf sources list`."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_
from sqlalchemy import func
from sqlalchemy import select

from db.engine import get_engine
from db.ingestion_tables import Reject
from db.ingestion_tables import Source
from db.ingestion_tables import SyncState
from db.jobs import redis_connection
from db.schema import DataStamp
from db.schema import IngestRun
from db.settings import get_settings
from ingestion.queues import INGEST_QUEUE
from ingestion.queues import source_queue
from ingestion.runs import DATA_STAMP
from ingestion.runs import utcnow

RECENT = dt.timedelta(hours=24)


@dataclass(frozen=True)
class SourceStatus:
    name: str
    kind: str
    instance: str
    enabled: bool
    poll_interval_seconds: int
    last_success: dt.datetime | None
    lag: dt.timedelta | None  # since the last successful run
    cursor: str | None
    rows_24h: int  # records read in the last 24 hours
    rejects: int  # quarantined now
    last_error: str | None  # the latest failure, if no success came after it
    last_error_at: dt.datetime | None


def duration_text(value: dt.timedelta | None) -> str:
    """A duration as people read it: seconds, minutes, hours or days ("—" for none)."""
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def source_status(now: dt.datetime | None = None) -> list[SourceStatus]:
    now = now or utcnow()
    run, source, state, reject = (
        IngestRun.__table__,
        Source.__table__,
        SyncState.__table__,
        Reject.__table__,
    )
    same_source = and_(
        run.c.source_system == source.c.kind, run.c.source_instance == source.c.instance
    )
    ok = run.c.status == "succeeded"
    last_success = select(func.max(run.c.finished_at)).where(same_source, ok).scalar_subquery()
    rows_recent = (
        select(func.coalesce(func.sum(run.c.read), 0))
        .where(same_source, ok, run.c.finished_at >= now - RECENT)
        .scalar_subquery()
    )
    latest_failure = (
        select(func.max(run.c.id)).where(same_source, run.c.status == "failed").scalar_subquery()
    )
    failure = run.alias("failure")
    rejects = (
        select(func.count())
        .where(
            reject.c.source_system == source.c.kind,
            reject.c.source_instance == source.c.instance,
            reject.c.status == "quarantined",
        )
        .scalar_subquery()
    )
    cursor = (
        select(state.c.cursor)
        .where(state.c.source == source.c.name)
        .order_by(state.c.updated_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(
            source.c.name,
            source.c.kind,
            source.c.instance,
            source.c.enabled,
            source.c.poll_interval_seconds,
            last_success.label("last_success"),
            rows_recent.label("rows_24h"),
            rejects.label("rejects"),
            cursor.label("cursor"),
            failure.c.error,
            failure.c.finished_at.label("failed_at"),
        )
        .select_from(source.outerjoin(failure, failure.c.id == latest_failure))
        .order_by(source.c.name)
    )
    with get_engine().connect() as conn:
        rows = conn.execute(query).all()
    result = []
    for row in rows:
        success, failed_at = _aware(row.last_success), _aware(row.failed_at)
        current_error = failed_at is not None and (success is None or failed_at > success)
        result.append(
            SourceStatus(
                name=row.name,
                kind=row.kind,
                instance=row.instance,
                enabled=row.enabled,
                poll_interval_seconds=row.poll_interval_seconds,
                last_success=success,
                lag=None if success is None else now - success,
                cursor=row.cursor,
                rows_24h=int(row.rows_24h),
                rejects=int(row.rejects),
                last_error=row.error if current_error else None,
                last_error_at=failed_at if current_error else None,
            )
        )
    return result


@dataclass(frozen=True)
class QueueBacklog:
    """Jobs (webhook pushes, mostly) waiting on ingest queues for a worker."""

    waiting: int
    oldest_wait: dt.timedelta | None  # how long the first in line has waited
    unreachable: str | None = None  # why Redis could not be read

    @classmethod
    def combined(cls, backlogs: Iterable[QueueBacklog]) -> QueueBacklog:
        """What waits on all of ``backlogs``' queues together."""
        backlogs = list(backlogs)
        waits = [b.oldest_wait for b in backlogs if b.oldest_wait is not None]
        return cls(
            sum(b.waiting for b in backlogs),
            max(waits, default=None),
            next((b.unreachable for b in backlogs if b.unreachable), None),
        )

    def cell(self) -> str:
        """For a source's row: how many wait and how long the first has ("" if none)."""
        if not self.waiting:
            return ""
        return f"{self.waiting:,} · {duration_text(self.oldest_wait)}"

    def summary(self) -> str:
        """In words, for the Sources page and ``channelperf sources list`` ("" if none wait)."""
        if self.unreachable:
            return (
                "The job queue (Redis) cannot be read, so webhook pushes cannot be queued: "
                f"{self.unreachable}."
            )
        if not self.waiting:
            return ""
        jobs = "job waits" if self.waiting == 1 else "jobs wait"
        since = (
            ""
            if self.oldest_wait is None
            else f", the first queued {duration_text(self.oldest_wait)} ago"
        )
        waiting = f"{self.waiting:,} {jobs} for the ingest worker"
        return f"{waiting} (webhook pushes, requested syncs){since}."


def queue_backlogs(queues: Sequence[str], now: dt.datetime | None = None) -> list[QueueBacklog]:
    """Each of ``queues``' backlog, in order; empty ones without Redis configured (pushes then
    load as they arrive), and each unreachable if Redis cannot be read. Redis is given a second
    to answer: the Sources page must not hang on it."""
    url = get_settings().redis_url
    if not url:
        return [QueueBacklog(0, None) for _ in queues]
    from redis.exceptions import RedisError

    now = now or utcnow()
    try:
        connection = redis_connection(url, socket_connect_timeout=1, socket_timeout=2)
        return [_backlog(name, connection, now) for name in queues]
    except RedisError as exc:
        failed = QueueBacklog(0, None, f"{exc.__class__.__name__}: {exc}")
        return [failed for _ in queues]


def ingest_backlog(
    sources: Sequence[str], base: str = INGEST_QUEUE, now: dt.datetime | None = None
) -> tuple[dict[str, QueueBacklog], QueueBacklog]:
    """Each source's backlog on its own queue, and what waits on every ingest queue (the shared
    one too)."""
    backlogs = queue_backlogs([base, *(source_queue(name, base) for name in sources)], now)
    return dict(zip(sources, backlogs[1:], strict=True)), QueueBacklog.combined(backlogs)


def _backlog(name: str, connection, now: dt.datetime) -> QueueBacklog:
    from rq import Queue
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    waiting = Queue(name, connection=connection)
    count, oldest = waiting.count, None
    for job_id in waiting.get_job_ids(0, 1):
        with contextlib.suppress(NoSuchJobError):  # taken by a worker meanwhile
            enqueued = _aware(Job.fetch(job_id, connection=connection).enqueued_at)
            oldest = None if enqueued is None else max(dt.timedelta(0), now - enqueued)
    return QueueBacklog(count, oldest)


def data_as_of() -> dt.datetime | None:
    """When data last changed (any committed batch or remap)."""
    with get_engine().connect() as conn:
        at = conn.execute(select(DataStamp.at).where(DataStamp.name == DATA_STAMP)).scalar()
    return _aware(at)
