"""Freed C heap memory goes back to the system between a sync's pages (``ingestion.memory``)."""

from __future__ import annotations

import os
import sys

import pytest

from ingestion.memory import release_free_memory

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")


def _resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_memory_freed_between_live_blocks_is_returned():
    # Free memory the process kept from earlier tests would take the blocks without growing.
    release_free_memory()
    before = _resident_mb()
    blocks = [bytes(2000) + bytes([n % 256]) for n in range(100_000)]  # ~200 MB from malloc
    kept = blocks[::20]  # live blocks all over the heap: glibc cannot shrink it by itself
    del blocks
    retained = _resident_mb() - before
    assert retained > 100, "the heap gave the memory back unaided: nothing to test"
    assert release_free_memory()
    assert _resident_mb() - before < retained / 2
    assert len(kept) == 5_000
