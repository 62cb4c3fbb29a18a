"""The ingest worker's RQ queues: one per source (its shard) beside the shared one.

A source's webhook pushes and requested syncs wait on its own queue (``ingest.<source>``), so
a burst for one shop neither holds up another source's pushes nor lands on a worker sharded
on other sources (``channelperf worker ingest --source``). The shared queue carries the rest
(file uploads, and jobs queued before queues were per source).
"""

from __future__ import annotations

INGEST_QUEUE = "ingest"


def source_queue(name: str, base: str = INGEST_QUEUE) -> str:
    """The queue of one source's jobs: ``<base>.<source>``."""
    return f"{base}.{name}"
