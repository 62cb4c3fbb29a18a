"""Source connectors: each pulls its source incrementally and maps payloads to the canonical model.

Every pulling connector has ``fetch(cursor) -> Iterator[Page]``. Pages arrive in
ascending order of the source's change time, so ``Page.cursor`` (the latest change
time read so far, ISO 8601 UTC) is safe to persist together with that page's rows;
the next run re-reads from ``cursor − lookback`` so late writes in the source are
not missed. The module-level ``to_canonical`` of each connector maps one payload.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from ingestion.canonical import payload_sha256
from ingestion.errors import MappingError
from ingestion.http import Answer

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
AMOUNT_TYPES = (str, int, float, Decimal)


@dataclass(frozen=True)
class SourceRecord:
    source_system: str
    source_instance: str
    stream: str
    record_id: str
    payload: dict[str, Any]
    payload_sha256: str

    @classmethod
    def of(
        cls, source_system: str, source_instance: str, stream: str, record_id: object, payload: dict
    ) -> SourceRecord:
        return cls(
            source_system, source_instance, stream, str(record_id), payload, payload_sha256(payload)
        )


@dataclass(frozen=True)
class Page:
    """One page of records and the cursor to persist once they are loaded."""

    records: list[SourceRecord]
    cursor: str | None


def record_pages(
    answers: Iterable[Answer],
    origin: tuple[str, str, str],
    cursor: str | None,
    *,
    record_id: Callable[[dict[str, Any]], object],
    changed_at: Callable[[dict[str, Any]], dt.datetime | None],
) -> Iterator[Page]:
    """Pages of source records from the paged answers of ``origin`` (source system, instance,
    stream), the cursor moving to the latest ``changed_at`` read so far."""
    for answer in answers:
        records = []
        for payload in answer.items:
            records.append(SourceRecord.of(*origin, record_id(payload), payload))
            cursor = latest(cursor, changed_at(payload))
        yield Page(records, cursor)


# --- cursors --------------------------------------------------------------------------


def iso_utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def window_start(cursor: str | None, lookback: dt.timedelta, initial: dt.datetime) -> dt.datetime:
    """Where an incremental read starts: the cursor less the look-back, or ``initial``."""
    if cursor is None:
        return initial
    return parse_timestamp(cursor, "cursor") - lookback


def latest(cursor: str | None, seen: dt.datetime | None) -> str | None:
    """The later of a cursor and a change time just read, as a cursor string."""
    if seen is None:
        return cursor
    if cursor is None or parse_timestamp(cursor, "cursor") < seen:
        return iso_utc(seen)
    return cursor


# --- reading payload fields -----------------------------------------------------------


def get(payload: Mapping[str, Any], path: str, default: Any = ...) -> Any:
    """``payload["a"]["b"]`` for ``"a.b"``; missing or null and no default → MappingError."""
    if "." not in path and isinstance(payload, dict):
        value = payload.get(path)
        if value is None:
            if default is ...:
                raise MappingError(f"missing field {path}")
            return default
        return value
    value: Any = payload
    for part in path.split("."):
        value = value.get(part) if type(value) is dict or isinstance(value, Mapping) else None
        if value is None:
            if default is ...:
                raise MappingError(f"missing field {path}")
            return default
    return value


def decimal_of(value: Any, what: str) -> Decimal:
    """An exact Decimal from a JSON string or number (a float via its shortest repr)."""
    if type(value) is bool or not isinstance(value, AMOUNT_TYPES):
        raise MappingError(f"{what}: {value!r} is not an amount")
    try:
        # Decimal ignores surrounding whitespace; a float goes through its shortest repr.
        result = Decimal(repr(value) if isinstance(value, float) else value)
    except InvalidOperation:
        raise MappingError(f"{what}: {value!r} is not a number") from None
    if not result.is_finite():
        raise MappingError(f"{what}: {value!r} is not a finite number")
    return result


def int_of(value: Any, what: str) -> int:
    """A whole number from a JSON string or number; ``"2.000"`` is 2, ``"1.5"`` is an error."""
    if type(value) is int:
        return value
    number = decimal_of(value, what)
    if number != number.to_integral_value():
        raise MappingError(f"{what}: {value!r} is not a whole number")
    return int(number)


def parse_timestamp(value: Any, what: str) -> dt.datetime:
    """A timezone-aware datetime from ISO 8601 text; a naive one is an error."""
    if not isinstance(value, str):
        raise MappingError(f"{what}: {value!r} is not a timestamp")
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise MappingError(f"{what}: {value!r} is not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        raise MappingError(f"{what}: {value!r} has no time zone")
    return parsed


def updated_at_of(record: Mapping[str, Any]) -> dt.datetime | None:
    """A record's change time from its ``updated_at`` ISO text (Shopify, Square), if it has one."""
    updated = record.get("updated_at")
    return parse_timestamp(updated, "updated_at") if isinstance(updated, str) else None


def epoch_ms(value: dt.datetime) -> int:
    """Milliseconds since the epoch: the version number of sources versioned by change time."""
    return (value - EPOCH) // dt.timedelta(milliseconds=1)


def changed_order(
    source_system: str, source_instance: str, order_id: object, changed_at: dt.datetime
) -> dict[str, Any]:
    """Which source order a canonical order is, and its version: the change time in ms."""
    return {
        "source_system": source_system,
        "source_instance": source_instance,
        "source_order_id": str(order_id),
        "source_version": epoch_ms(changed_at),
        "source_updated_at": changed_at,
    }


def midday_utc(day: dt.date) -> dt.datetime:
    """A date-only source timestamp as 12:00 UTC, so it keeps its calendar day in any zone ±12 h."""
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


def place(kind: str, value: Any) -> str | None:
    """A canonical ``region_key``: the source's own place as "kind=value", None if unknown."""
    return None if value in (None, "") else f"{kind}={value}"
