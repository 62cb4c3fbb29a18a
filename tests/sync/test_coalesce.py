"""Joining a connector's consecutive pages: in order, bounded by records and by waiting time,
the last page's cursor carried, no page (not even an empty one) dropped."""

from __future__ import annotations

from ingestion.sync.coalesce import coalesced


def _pages(sizes: list[int]) -> list[tuple[list[int], str]]:
    pages, start = [], 0
    for n, size in enumerate(sizes):
        pages.append((list(range(start, start + size)), f"cursor-{n}"))
        start += size
    return pages


def test_pages_join_in_order_until_they_hold_the_records():
    joined = list(coalesced(_pages([250, 250, 250, 250, 100]), records=500, seconds=60))
    assert [(len(items), cursor) for items, cursor in joined] == [
        (500, "cursor-1"),
        (500, "cursor-3"),
        (100, "cursor-4"),
    ]
    assert [i for items, _ in joined for i in items] == list(range(1100))


def test_a_page_larger_than_the_bound_loads_alone_and_an_empty_page_still_moves_the_cursor():
    joined = list(coalesced(_pages([7000, 0, 10, 0]), records=5000, seconds=60))
    assert [(len(items), cursor) for items, cursor in joined] == [
        (7000, "cursor-0"),
        (10, "cursor-3"),
    ]
    assert list(coalesced(_pages([0]), records=5000)) == [([], "cursor-0")]
    assert list(coalesced([], records=5000)) == []


def test_pages_load_once_the_first_has_waited_long_enough():
    ticks = iter([0.0, 1.0, 2.0, 6.0, 10.0, 10.5, 11.0])

    joined = coalesced(
        _pages([10, 10, 10, 10, 10]), records=5000, seconds=5, clock=lambda: next(ticks)
    )
    # The first page arrives at 0 s, the third at 6 s: those three load together.
    assert [(len(items), cursor) for items, cursor in joined] == [
        (30, "cursor-2"),
        (20, "cursor-4"),
    ]
