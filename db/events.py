"""After-batch hooks: what must happen once new data is committed (alerts, cache invalidation).

Each hook is a job path (see ``db.jobs``) called with the sorted ISO days the
batch touched; packages register theirs in ``BATCH_HOOKS`` by path so the
ingestion side needs no import of them.
"""

from __future__ import annotations

import datetime as dt
import logging
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
