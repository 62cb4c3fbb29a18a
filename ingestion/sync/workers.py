"""Mapping pages in worker processes while one writer loads them in order.

Decoding, hashing, mapping and validating a page is Python work that holds one core;
loading it is mostly the database's. With ``CHANNELPERF_INGEST_WORKERS`` > 0 a sync
maps up to that many pages at once in spawned processes (spawn, not fork: Prophet and
other native libraries are imported elsewhere in the process), and the writer takes
them back in page order, so versions of one order are merged in the order read.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import Any

from db.engine import get_engine
from ingestion.mapping import ChannelRules
from ingestion.memory import release_free_memory
from ingestion.sync.mapping import Incoming
from ingestion.sync.mapping import MappedPage
from ingestion.sync.mapping import Origin
from ingestion.sync.mapping import map_unless_loaded


def _map_in_worker(
    url: str, origin: Origin, rules: ChannelRules, options: dict[str, Any], page
) -> MappedPage:
    try:
        return map_unless_loaded(get_engine(url), origin, rules, page, **options)
    finally:
        release_free_memory()


def _ready(page: MappedPage) -> Future:
    done: Future = Future()
    done.set_result(page)
    return done


def mapped_in_processes(
    url: str,
    origin: Origin,
    rules: ChannelRules,
    pages: Iterable[MappedPage | tuple[Sequence[Incoming], str | None, str | None]],
    workers: int,
    **options: Any,
) -> Iterator[MappedPage]:
    """``pages`` mapped by ``workers`` spawned processes, yielded in page order; at most
    ``workers`` + 1 pages are read ahead of the one being loaded. A page given already mapped
    (found loaded before) passes through in its place. A page to map is held while it is the
    only one: a second starts the processes and the held page is mapped here meanwhile
    (spawning one and importing the mapping takes longer than mapping a page); a page whose
    turn comes first is mapped here too, so a one-page sync or a replay starts none."""
    work = partial(_map_in_worker, url, origin, rules, options)
    pool: ProcessPoolExecutor | None = None
    waiting: deque[Future] = deque()
    held: deque[tuple[Future, Any]] = deque(maxlen=1)

    def map_held() -> None:
        if held:
            future, page = held.popleft()
            future.set_result(work(page))

    try:
        for page in pages:
            if isinstance(page, MappedPage):
                waiting.append(_ready(page))
            elif pool is None and not held:
                held.append((Future(), page))
                waiting.append(held[0][0])
            else:
                if pool is None:
                    context = multiprocessing.get_context("spawn")
                    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
                waiting.append(pool.submit(work, page))
                map_held()
            if len(waiting) > workers:
                if held and waiting[0] is held[0][0]:
                    map_held()
                yield waiting.popleft().result()
        map_held()
        while waiting:
            yield waiting.popleft().result()
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
