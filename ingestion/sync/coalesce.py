"""A connector's consecutive pages joined into larger loads.

An API pages its orders 250 at a time or fewer, and each page loaded on its own pays a
transaction's fixed costs (its ingest run, the reference data, staging tables, the merge,
customer and rollup statements): about 0.08 s, more than mapping and storing 250 orders.
Pages are joined until they hold ``records`` records (the ``sync_join_records`` setting,
5,000 by default) or the first of them has waited ``seconds``, so a backfill loads in parts
of thousands of orders (about three times the throughput: ``bench/bench_sync.py``) while a
live sync's one or two pages still load as soon as the source has no more. A joined page
carries its last page's cursor: the stream's cursor moves only once all of them are in, and
after a crash the sync re-reads them from the one before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

JOINED_SECONDS = 5.0


def coalesced(
    pages: Iterable[tuple[Sequence[T], str | None]],
    records: int,
    seconds: float = JOINED_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[tuple[list[T], str | None]]:
    """``(items, cursor)`` pages, consecutive ones joined (in order) as described above; an
    empty page still moves the cursor, joined with its neighbours like any other."""
    joined: list[T] = []
    cursor: str | None = None
    first_arrived: float | None = None
    for items, page_cursor in pages:
        if first_arrived is None:
            first_arrived = clock()
        joined.extend(items)
        cursor = page_cursor
        if len(joined) >= records or clock() - first_arrived >= seconds:
            yield joined, cursor
            joined, first_arrived = [], None
    if first_arrived is not None:
        yield joined, cursor
