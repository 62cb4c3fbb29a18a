"""Computing the next item of an iterable in a background thread while the caller uses this one.

A sync maps page N+1 (fetching, decoding, validating: Python work) while page N loads
(mostly waiting for PostgreSQL), so one worker process keeps both the interpreter and
the database busy. Items arrive in order; an exception raised while producing an item
is raised to the caller in its place; closing the iterator early stops the producer.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()
_POLL_SECONDS = 0.1


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetched(items: Iterable[T], depth: int = 1) -> Iterator[T]:
    """``items``, produced by a background thread at most ``depth`` items ahead: items made or
    being made that the caller has not taken yet, so that with the one it works on the
    caller's process holds at most ``depth`` + 1 (a sync's pages are tens of MB each)."""
    ready: queue.Queue = queue.Queue()
    room = threading.Semaphore(depth)
    stop = threading.Event()

    def wait_for_room() -> bool:
        while not stop.is_set():
            if room.acquire(timeout=_POLL_SECONDS):
                return True
        return False

    def produce() -> None:
        iterator = iter(items)
        try:
            while wait_for_room():
                item = next(iterator, _DONE)
                ready.put(item)
                if item is _DONE:
                    return
        except BaseException as exc:  # noqa: BLE001 — handed to the consumer, raised there
            ready.put(_Failure(exc))

    producer = threading.Thread(target=produce, name="prefetch", daemon=True)
    producer.start()
    try:
        while True:
            value = ready.get()
            if value is _DONE:
                return
            if isinstance(value, _Failure):
                raise value.error
            room.release()
            yield value
    finally:
        stop.set()
        producer.join()
