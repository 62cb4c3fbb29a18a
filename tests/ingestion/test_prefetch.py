"""The background producer behind pipelined syncs: order, errors, early stop, overlap."""

from __future__ import annotations

import threading

import pytest

from ingestion.prefetch import prefetched


def test_items_arrive_in_order():
    assert list(prefetched(iter(range(50)), depth=3)) == list(range(50))


def test_an_error_arrives_in_place_of_its_item():
    def items():
        yield 1
        yield 2
        raise ValueError("page 3 failed")

    got = []
    with pytest.raises(ValueError, match="page 3 failed"):
        for item in prefetched(items()):
            got.append(item)
    assert got == [1, 2]


def test_the_next_item_is_produced_while_the_caller_works_on_this_one():
    second_started = threading.Event()

    def items():
        yield 1
        second_started.set()
        yield 2

    iterator = prefetched(items())
    assert next(iterator) == 1
    # The caller has not asked for item 2, yet its production has begun.
    assert second_started.wait(timeout=5)
    assert list(iterator) == [2]


def _counted(produced: list, count: int):
    """0 to ``count`` - 1, each appended to ``produced`` as it is made."""
    for n in range(count):
        produced.append(n)
        yield n


def test_closing_early_stops_the_producer():
    produced = []
    iterator = prefetched(_counted(produced, 1_000), depth=1)
    assert next(iterator) == 0
    iterator.close()
    count = len(produced)
    assert count <= 3
    assert not any(t.name == "prefetch" and t.is_alive() for t in threading.enumerate())


def test_the_producer_keeps_at_most_depth_items_ahead_of_the_caller():
    produced = []
    iterator = prefetched(_counted(produced, 10), depth=1)
    for taken, item in enumerate(iterator, start=1):
        threading.Event().wait(0.05)  # time for the producer to run as far ahead as it may
        # The caller holds this item; the producer has made (or is making) one more at most.
        assert len(produced) <= taken + 1, (item, produced)
    assert produced == list(range(10))
