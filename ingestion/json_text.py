"""JSON in the ingestion hot path: orjson for speed, the standard library where orjson refuses.

orjson rejects what the standard library accepts and sources do send (NaN and Infinity
literals, integers beyond 64 bits, non-string keys); those payloads take the slower path
and keep their meaning. Non-finite numbers become their text ("nan", "inf"), because
PostgreSQL's JSONB has no such numbers.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson

_SORTED = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by its text."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite(v) for v in value]
    return value


def loads(text: bytes | str) -> Any:
    """Parsed JSON; raises ``json.JSONDecodeError`` (with line and column) on bad input."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return finite(json.loads(text))


def compact(value: Any) -> str:
    """Compact JSON text, as stored in a JSONB column."""
    try:
        return orjson.dumps(value, default=str).decode()
    except TypeError:
        return json.dumps(finite(value), separators=(",", ":"), default=str)


def canonical(value: Any) -> bytes:
    """Canonical JSON bytes (sorted keys, no spaces, UTF-8): the input of payload hashes."""
    try:
        return orjson.dumps(value, default=str, option=_SORTED)
    except TypeError:
        text = json.dumps(
            finite(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
        )
        return text.encode()
