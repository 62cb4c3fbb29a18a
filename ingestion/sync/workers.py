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
from concurrent.futures import Future
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from typing import Any

from db.engine import get_engine
from ingestion.mapping import ChannelRules
from ingestion.sync.mapping import Incoming
from ingestion.sync.mapping import MappedPage
from ingestion.sync.mapping import Origin
from ingestion.sync.mapping import map_page


def _map_in_worker(
    url: str, origin: Origin, rules: ChannelRules, options: dict[str, Any], page
) -> MappedPage:
    items, cursor = page
    return map_page(
        origin, items, rules, cursor=cursor, skip_unchanged_in=get_engine(url), **options
    )


def mapped_in_processes(
    url: str,
    origin: Origin,
    rules: ChannelRules,
    pages: Iterable[tuple[list[Incoming], str | None]],
    workers: int,
    **options: Any,
) -> Iterator[MappedPage]:
    """``pages`` mapped by ``workers`` spawned processes, yielded in page order; at most
    ``workers`` + 1 pages are read ahead of the one being loaded. The first page is mapped
    here, while the processes start: spawning one and importing the mapping takes longer than
    mapping a page, and a one-page sync starts none."""
    work = partial(_map_in_worker, url, origin, rules, options)
    pages = iter(pages)
    first = next(pages, None)
    if first is None:
        return
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        waiting: deque[Future] = deque()
        for page in pages:
            waiting.append(pool.submit(work, page))
            if first is not None:
                yield work(first)
                first = None
            elif len(waiting) > workers:
                yield waiting.popleft().result()
        if first is not None:
            yield work(first)
        while waiting:
            yield waiting.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
