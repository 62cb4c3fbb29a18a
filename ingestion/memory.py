"""Giving the C heap's freed memory back to the system between a sync's pages.

A page's frames are tens of MB of C allocations (pandas, Arrow, psycopg's buffers). glibc
keeps what is freed for reuse, and with the long-lived objects in between it could not give
it back: the writer's resident memory crept up page after page of a long backfill though what
it held stayed the same. ``malloc_trim`` hands the free pages back; elsewhere than glibc it
does not exist and nothing is done.
"""

from __future__ import annotations

import ctypes
import sys


def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def release_free_memory() -> bool:
    """Return the C heap's free pages to the system; False where that cannot be done."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True
