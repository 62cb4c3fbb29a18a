"""After-batch hooks: what must happen once new data is committed (alerts, cache invalidation).

Each hook is a job path (see ``db.jobs``) called with the sorted ISO days the
batch touched; packages register theirs in ``BATCH_HOOKS`` by path so the
ingestion side needs no import of them.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from collections.abc import Iterable

from db.jobs import enqueue

log = logging.getLogger(__name__)

# Job paths run after every committed ingest batch, in order.
BATCH_HOOKS: list[str] = [
    "analytics.cache.invalidate_days",  # first: alert evaluation reads the cached rollups
    "analytics.alerts.jobs.evaluate_after_batch",
]


def batch_committed(days: Iterable[dt.date]) -> None:
    """Run or queue every after-batch hook; a failing hook is logged, never undoes the batch."""
    touched = sorted(d.isoformat() for d in set(days))
    if not touched:
        return
    for path in BATCH_HOOKS:
        try:
            enqueue(path, touched, queue="alerts")
        except Exception:
            log.exception("after-batch hook %s failed", path)


# Seconds between two runs of the hooks for the pages of one sync (``CoalescedHooks``).
HOOK_INTERVAL_SECONDS = 30.0


class CoalescedHooks:
    """The hooks of many batches run together, at most once every ``interval`` seconds, and
    for what is left when ``flush`` is called.

    A long sync commits a page every second or two: judging the alert rules (or queueing the
    jobs that do) after each page did the same work over and over for days that moved again a
    moment later. The first batch's days are handed over at once, so a short sync's hooks run
    as soon as it commits.
    """

    def __init__(
        self,
        interval: float = HOOK_INTERVAL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.pending: set[dt.date] = set()
        self.last_run: float | None = None

    def committed(self, days: Iterable[dt.date]) -> None:
        """A batch committed, touching ``days``: run the hooks if the interval has passed."""
        self.pending |= set(days)
        if self.last_run is None or self.clock() - self.last_run >= self.interval:
            self.flush()

    def flush(self) -> None:
        """Run the hooks for every day committed since they last ran."""
        if self.pending:
            days, self.pending = self.pending, set()
            self.last_run = self.clock()
            batch_committed(days)
