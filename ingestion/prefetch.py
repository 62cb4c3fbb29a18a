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
    """``items``, produced by a background thread at most ``depth`` items ahead."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def hand_over(value: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(value, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not hand_over(item):
                    return
        except BaseException as exc:  # noqa: BLE001 — handed to the consumer, raised there
            hand_over(_Failure(exc))
            return
        hand_over(_DONE)

    producer = threading.Thread(target=produce, name="prefetch", daemon=True)
    producer.start()
    try:
        while True:
            value = ready.get()
            if value is _DONE:
                return
            if isinstance(value, _Failure):
                raise value.error
            yield value
    finally:
        stop.set()
        producer.join()
