"""Webhook pushes, run as RQ jobs on their source's own queue (``ingestion.queues``) once the
endpoint verified them.

A push carrying a whole order is one order, and a load of one order costs a transaction's
fixed work (about 0.08 s: ``bench/bench_sync.py``), so a burst (a sale, a bulk edit in the
shop) would queue far faster than a worker loads it one by one. A push job therefore loads,
with its own order, the orders of the same source's push jobs waiting behind it on its queue
(up to ``JOINED_PUSHES``), as one page; once that commits it marks those jobs in Redis, and
each of them, when its turn comes, finds its mark and ends without loading anything. Nothing
is taken off the queue: a job whose mark is missing (the joining job failed, or was killed
before marking) loads its own order, which at worst finds it loaded already (unchanged); and
a joined page that fails to load leaves the job to load its own order alone.
"""

from __future__ import annotations

import logging
from typing import Any

import ingestion.sync  # MAX_PAGE_BYTES, read at call time
from db.engine import get_engine
from ingestion.connectors.registry import KINDS
from ingestion.sources import get_source
from ingestion.sync.mapping import Incoming
from ingestion.sync.syncing import sync_with_retry
from ingestion.sync.writing import Origin
from ingestion.sync.writing import load_page

log = logging.getLogger(__name__)

PUSH_JOB = "ingestion.sync.ingest_push"
JOINED_PUSHES = 500
# A mark outlives any wait in the queue worth planning for; one that expires only means its
# job loads its order again (unchanged).
MARK_SECONDS = 7 * 24 * 3600


def _mark(job_id: str) -> str:
    return f"channelperf:push-loaded:{job_id}"


def _mark_loaded(connection, job_ids: list[str], loaded_by: str) -> None:
    marks = connection.pipeline()
    for job_id in job_ids:
        marks.set(_mark(job_id), loaded_by, ex=MARK_SECONDS)
    marks.execute()


def _waiting_pushes(job, source_name: str) -> list[tuple[str, bytes]]:
    """(job id, body) of this source's push jobs waiting on ``job``'s queue, oldest first, at
    most ``JOINED_PUSHES`` and ``MAX_PAGE_BYTES`` of body."""
    from rq import Queue

    queue = Queue(job.origin, connection=job.connection)
    found, size = [], len(job.args[1])
    for waiting in queue.get_jobs(0, JOINED_PUSHES):
        if waiting.func_name != PUSH_JOB or waiting.args[:1] != (source_name,):
            continue
        body = waiting.args[1]
        size += len(body)
        if size > ingestion.sync.MAX_PAGE_BYTES or len(found) >= JOINED_PUSHES - 1:
            break
        found.append((waiting.id, body))
    return found


def ingest_push(source_name: str, body: bytes) -> dict[str, Any]:
    """A verified webhook push (an RQ job on the ``ingest`` queue).

    A push carrying the whole order (Shopify's) is loaded as it is, joined with the same
    source's pushes waiting behind it; one that only names the changed order (Square's)
    triggers a sync of the source.
    """
    from rq import get_current_job

    job = get_current_job()
    if job is not None and job.connection.delete(_mark(job.id)):
        return {"read": 0, "rejected": 0, "loaded_earlier": True}
    engine = get_engine()
    with engine.connect() as conn:
        source = get_source(conn, source_name)
    if not KINDS[source.kind].push.carries_order:
        result = sync_with_retry(source_name)
        return {"read": result.read, "rejected": result.rejected}
    joined = [] if job is None else _waiting_pushes(job, source_name)
    origin = Origin(source.kind, source.instance, "webhook", source.name)
    items = [Incoming(None, body), *(Incoming(None, waiting) for _, waiting in joined)]
    try:
        result, rejects = load_page(engine, origin, items)
    except Exception:
        if not joined:
            raise
        # Whatever failed the joined page must not fail this push: its order loads alone,
        # and each of the others, unmarked, in its own job.
        log.exception("pushes joined to job %s failed to load; loading its own alone", job.id)
        joined = []
        result, rejects = load_page(engine, origin, items[:1])
    if joined:
        _mark_loaded(job.connection, [job_id for job_id, _ in joined], job.id)
    return {"read": result.read + len(rejects), "rejected": len(rejects), "joined": len(joined)}
