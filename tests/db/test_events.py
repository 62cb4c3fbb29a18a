"""After-batch hooks coalesced over a sync's pages (``db.events.CoalescedHooks``): run at once
for the first batch, then at most once an interval, and for whatever is left on flush."""

from __future__ import annotations

import datetime as dt

import pytest

import db.events
from db.events import CoalescedHooks

CALLS: list[list[str]] = []
HOOK = "tests.db.test_events.record"


def record(days: list[str]) -> None:
    CALLS.append(days)


@pytest.fixture
def recorded(monkeypatch):
    """The hooks are this module's ``record`` alone, run in-process (no Redis)."""
    monkeypatch.delenv("CHANNELPERF_REDIS_URL", raising=False)
    monkeypatch.setattr(db.events, "BATCH_HOOKS", [HOOK])
    CALLS.clear()
    yield CALLS
    CALLS.clear()


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _day(n: int) -> dt.date:
    return dt.date(2026, 1, n)


def test_hooks_run_at_once_then_once_an_interval_then_on_flush(recorded):
    clock = Clock()
    hooks = CoalescedHooks(interval=30, clock=clock)
    hooks.committed({_day(1)})
    assert recorded == [["2026-01-01"]]
    clock.now += 10
    hooks.committed({_day(2), _day(3)})
    clock.now += 10
    hooks.committed({_day(2)})
    assert len(recorded) == 1  # within the interval: held
    clock.now += 10
    hooks.committed({_day(4)})
    assert recorded[1] == ["2026-01-02", "2026-01-03", "2026-01-04"]
    clock.now += 1
    hooks.committed({_day(5)})
    hooks.flush()
    hooks.flush()  # nothing left: no empty run
    assert recorded[2:] == [["2026-01-05"]]


def test_a_batch_touching_no_day_runs_nothing_and_does_not_hold_the_next(recorded):
    clock = Clock()
    hooks = CoalescedHooks(interval=30, clock=clock)
    hooks.committed(set())
    hooks.flush()
    assert recorded == []
    hooks.committed({_day(7)})
    assert recorded == [["2026-01-07"]]
