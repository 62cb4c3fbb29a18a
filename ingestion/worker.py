"""`channelperf worker ingest`: poll every enabled source on its interval and run pushed jobs.

One loop, one process: each tick it syncs the sources whose interval has passed
since their last attempt, then (with Redis configured) drains the RQ ``ingest``
queue where the webhook endpoint puts verified pushes. A failing source is logged
and recorded as a failed run and retried on its next interval; a lost database is
retried with backoff. Several workers may run: the merge on the natural key makes
a page loaded twice harmless.

Sharded by source: pushes and requested syncs wait on their source's own queue
(``ingestion.queues``). A worker given sources (``--source``, any number of workers on any
number of machines) polls only those and drains only their queues besides the shared one, so
each source's load runs on the machine its worker is on; a worker given none drains every
configured source's queue. Queues are taken in turn (round robin), so a burst of one
source's pushes does not hold up the others'.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from collections.abc import Collection

from db.jobs import redis_connection
from db.settings import get_settings
from ingestion.connectors.kind import LoadStrategy
from ingestion.connectors.registry import KINDS
from ingestion.file_sync import sync_directory
from ingestion.queues import INGEST_QUEUE
from ingestion.queues import source_queue
from ingestion.sources import find_source
from ingestion.sources import list_sources
from ingestion.sync import SyncResult
from ingestion.sync import is_connection_error
from ingestion.sync import retrying
from ingestion.sync import sync_with_retry

log = logging.getLogger(__name__)

MAX_IDLE_WAIT = 30.0


def pull(name: str, **options) -> SyncResult:
    """Sync one source now (pages from its cursor to the end), retrying while the DB is down."""
    source = find_source(name)
    if KINDS[source.kind].load is LoadStrategy.FILES:
        return retrying(lambda: sync_directory(source))
    return sync_with_retry(name, **options)


def drain_queue(
    queue: str = INGEST_QUEUE, redis_url: str | None = None, *, also: tuple[str, ...] = ()
) -> bool:
    """Run every job waiting on the queue and the queues ``also`` names, in this process, one
    queue's next job after another's (round robin); True if any ran."""
    from rq import Queue
    from rq import SimpleWorker
    from rq.worker import DequeueStrategy

    url = redis_url or get_settings().redis_url
    if not url:
        return False
    from redis.exceptions import ConnectionError as RedisConnectionError

    connection = redis_connection(url)
    queues = [Queue(name, connection=connection) for name in (queue, *also)]
    worker = SimpleWorker(queues, connection=connection)
    try:
        return worker.work(
            burst=True, logging_level="WARNING", dequeue_strategy=DequeueStrategy.ROUND_ROBIN
        )
    except RedisConnectionError as exc:
        log.warning("Redis unreachable (%s); pushes wait in the queue", exc)
        return False


class Poller:
    """Which sources are due: each is synced when its interval has passed since the last try."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sources: Collection[str] | None = None,
    ) -> None:
        self.clock = clock
        self.sources = None if sources is None else frozenset(sources)
        self.last_try: dict[str, float] = {}

    def due(self) -> list[str]:
        """Enabled sources (of this worker's shard, if it has one) whose interval has passed."""
        now = self.clock()
        return [
            s.name
            for s in list_sources()
            if s.enabled
            and (self.sources is None or s.name in self.sources)
            and now - self.last_try.get(s.name, float("-inf")) >= s.poll_interval_seconds
        ]

    def run_due(self) -> dict[str, SyncResult | Exception]:
        outcome: dict[str, SyncResult | Exception] = {}
        for name in self.due():
            self.last_try[name] = self.clock()
            try:
                outcome[name] = pull(name)
                log.info("synced %s: %s", name, outcome[name])
            except Exception as exc:  # noqa: BLE001 — one failing source must not stop the others
                outcome[name] = exc
                log.error("sync of %s failed: %s", name, exc)
        return outcome


def run_worker(
    *,
    queue: str = INGEST_QUEUE,
    tick: float = 1.0,
    max_cycles: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    sources: Collection[str] | None = None,
) -> None:
    """Poll and drain until SIGTERM / SIGINT (or ``max_cycles`` ticks, for tests): ``queue``
    and the queues of ``sources`` (``ingestion.queues.source_queue`` under ``queue``), or
    without ``sources``, of every configured source as it is at each tick."""
    stopping = False

    def stop(_signum, _frame) -> None:
        nonlocal stopping
        stopping = True

    poller = Poller(sources=sources)
    cycles, failures = 0, 0
    while not stopping and (max_cycles is None or cycles < max_cycles):
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        cycles += 1
        try:
            poller.run_due()
            names = sources if sources is not None else [s.name for s in list_sources()]
            drain_queue(queue, also=tuple(source_queue(name, queue) for name in names))
            failures = 0
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            failures += 1
            wait = min(MAX_IDLE_WAIT, 0.5 * 2**failures)
            log.warning("database unreachable (%s); waiting %.1f s", exc, wait)
            sleep(wait)
            continue
        sleep(tick)
