"""Mapping a page: payloads decoded, mapped by their kind's connector, checked against the
tables' widths; every failure becomes a reject with a readable reason, never a failed page."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import select

import ingestion.sync  # MAX_PAYLOAD_BYTES, MAX_PAGE_BYTES: the package's, read at call time
from db.ingestion_tables import LoadedPage
from ingestion.batch import OrderBatch
from ingestion.canonical import CanonicalOrder
from ingestion.canonical import decode_payload
from ingestion.canonical_frames import check_storable
from ingestion.columnar import map_page_columnar
from ingestion.connectors.registry import ORDER_MAPPERS
from ingestion.errors import IngestionError
from ingestion.errors import MappingError
from ingestion.mapping import ChannelRules
from ingestion.mapping import touchpoint_raw
from ingestion.staging import payload_json
from ingestion.unchanged import changed_indexes

if TYPE_CHECKING:
    from ingestion.sources import SourceInfo

# Column widths of sales_order / order_line that a payload's values must fit.
MAX_ORDER_ID = 80
MAX_SKU = 64
MAX_TOUCHPOINT_RAW = 200
RECORD_ID_FIELDS = ("id", "Id", "SalesOrder", "order_id")
WIDTHS = (MAX_ORDER_ID, MAX_SKU, MAX_TOUCHPOINT_RAW)


@dataclass(frozen=True)
class Incoming:
    """One record as received: its source id if known, and the payload (parsed JSON or bytes)."""

    record_id: str | None
    payload: dict[str, Any] | bytes


@dataclass(frozen=True)
class RejectedPayload:
    """A payload that failed, with the reason. ``record_key``: the source's id of its record
    where known (an order's source order id), by which a later load of the record resolves
    it; ``canonical``: the payload is the canonical record the mapping made (JSON), loaded as
    it is by a replay, not the source's bytes."""

    record_id: str | None
    error: str
    payload: bytes
    record_key: str | None = None
    canonical: bool = False

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()


@dataclass(frozen=True)
class Origin:
    """Where records come from: the run and reject rows are labelled with this."""

    source_system: str
    source_instance: str
    stream: str
    source_name: str | None = None

    @classmethod
    def of(cls, source: SourceInfo, stream: str) -> Origin:
        return cls(source.kind, source.instance, stream, source.name)


def as_bytes(payload: dict[str, Any] | str | bytes) -> bytes:
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode()
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _decoded(payload: dict[str, Any] | bytes) -> dict[str, Any]:
    if not isinstance(payload, bytes):
        return payload
    if len(payload) > ingestion.sync.MAX_PAYLOAD_BYTES:
        raise MappingError(
            f"payload is {_megabytes(len(payload))}, larger than the "
            f"{_megabytes(ingestion.sync.MAX_PAYLOAD_BYTES)} an order may have"
        )
    return decode_payload(payload)


def _check_widths(order: CanonicalOrder) -> None:
    """Values the tables cannot hold are a reason to quarantine, not a failed batch."""
    if len(order.source_order_id) > MAX_ORDER_ID:
        raise MappingError(f"order id is longer than {MAX_ORDER_ID} characters")
    if len(touchpoint_raw(order.touchpoint_fields)) > MAX_TOUCHPOINT_RAW:
        raise MappingError(f"touchpoint fields are longer than {MAX_TOUCHPOINT_RAW} characters")
    for line in order.lines:
        if len(line.sku) > MAX_SKU:
            raise MappingError(f"line {line.line_no}: sku is longer than {MAX_SKU} characters")
    check_storable(order)


def _record_id(item: Incoming, payload: Any) -> str | None:
    if item.record_id not in (None, "", "None"):
        return item.record_id
    if isinstance(payload, dict):
        for name in RECORD_ID_FIELDS:
            if payload.get(name) not in (None, ""):
                return str(payload[name])[:200]
    return None


def _rejected(item: Incoming, payload: Any, reason: str) -> RejectedPayload:
    """A payload the mapping refused; its record id is the source's id of the order."""
    record_id = _record_id(item, payload)
    return RejectedPayload(record_id, reason, as_bytes(item.payload), record_key=record_id)


def _order_mapper(source_system: str):
    mapper = ORDER_MAPPERS.get(source_system)
    if mapper is None:
        raise IngestionError(f"{source_system} records are not orders")
    return mapper


def map_orders(
    source_system: str,
    source_instance: str,
    items: Iterable[Incoming],
    *,
    future_tolerance: dt.timedelta | None = None,
) -> tuple[list[CanonicalOrder], list[RejectedPayload]]:
    """Canonical orders, and a reject with a readable reason for every payload that fails.

    Records that are not orders (a Salesforce opportunity not won) are in neither list.
    The per-record path: ``map_page_orders`` gives the same result a page at a time.
    """
    mapper = _order_mapper(source_system)
    options = {} if future_tolerance is None else {"future_tolerance": future_tolerance}
    orders, rejects = [], []
    for item in items:
        payload: Any = None
        try:
            payload = _decoded(item.payload)
            order = mapper(payload, source_instance=source_instance, **options)
            if order is not None:
                _check_widths(order)
                orders.append(order)
        except MappingError as exc:
            rejects.append(_rejected(item, payload, str(exc)))
        except Exception as exc:  # noqa: BLE001 — a malformed payload must never stop the batch
            reason = f"cannot map the payload ({exc.__class__.__name__}: {exc})"
            rejects.append(_rejected(item, payload, reason))
    return orders, rejects


def map_page_orders(
    source_system: str,
    source_instance: str,
    items: Sequence[Incoming],
    rules: ChannelRules,
    *,
    future_tolerance: dt.timedelta | None = None,
) -> tuple[OrderBatch, int, list[RejectedPayload]]:
    """A page's batch (of how many canonical orders) and rejects, mapped column-wise
    (``ingestion.columnar``): as ``to_order_batch`` over ``map_orders``, only faster."""
    mapper = _order_mapper(source_system)
    options = {} if future_tolerance is None else {"future_tolerance": future_tolerance}
    mapped: list[tuple[int, dict[str, Any] | None]] = []
    for position, item in enumerate(items):
        try:
            order = mapper(
                _decoded(item.payload), source_instance=source_instance, validate=False, **options
            )
        except Exception:  # noqa: BLE001 — the per-record path gives the reason
            mapped.append((position, None))
            continue
        if order is not None:  # None: a record that is not an order
            mapped.append((position, order))
    rejects: list[RejectedPayload] = []

    def validate(position: int) -> CanonicalOrder | None:
        orders, failed = map_orders(
            source_system, source_instance, [items[position]], future_tolerance=future_tolerance
        )
        rejects.extend(failed)
        return orders[0] if orders else None

    batch, count = map_page_columnar(
        mapped, validate, rules, future_tolerance=future_tolerance, widths=WIDTHS
    )
    return batch, count, rejects


@dataclass
class MappedPage:
    """One page ready to load: the loader's batch of the ``mapped`` canonical orders (fewer
    rows where copies of one order collapsed), rejects, and payloads found unchanged."""

    batch: OrderBatch
    mapped: int
    rejects: list[RejectedPayload]
    unchanged: int = 0
    cursor: str | None = None
    digest: str | None = None
    """The sha256 of the page's raw bytes, recorded once it loads without rejects."""


def page_parts(
    items: Sequence[Incoming], cursor: str | None
) -> Iterator[tuple[Sequence[Incoming], str | None]]:
    """A page cut into the fewest consecutive parts of about equal raw payload size that keep
    each within ``MAX_PAGE_BYTES`` (none more than one payload over it), each mapped and loaded
    as a page of its own.

    What a page costs the mapping process and the writer in memory grows with its payloads'
    size (SAP's orders carry three times the lines of a shop's), not only with its orders, and
    the size is known before anything is decoded. Only the last part carries the page's cursor:
    the stream's cursor moves once the whole page is in, and after a crash the parts already in
    are found unchanged. Decoded payloads (small API pages) are not measured."""
    sizes = [len(item.payload) if type(item.payload) is bytes else 0 for item in items]
    total = sum(sizes)
    share = total / max(1, math.ceil(total / ingestion.sync.MAX_PAGE_BYTES))
    start, size, cut = 0, 0, share
    for end, length in enumerate(sizes):
        if end > start and size + length > cut:
            yield items[start:end], None
            start, cut = end, cut + share
        size += length
    yield items[start:], cursor


def page_digest(items: Sequence[Incoming]) -> str | None:
    """sha256 over a page of raw payloads, each length-prefixed; None unless all are bytes."""
    if not items or not all(type(item.payload) is bytes for item in items):
        return None
    digest = hashlib.sha256()
    for item in items:
        digest.update(len(item.payload).to_bytes(8, "big"))
        digest.update(item.payload)
    return digest.hexdigest()


def _decoded_items(items: Sequence[Incoming]) -> list[Incoming]:
    """Byte payloads decoded where they decode (the rest stay bytes, to be quarantined)."""
    decoded = []
    for item in items:
        payload = item.payload
        if isinstance(payload, bytes) and len(payload) <= ingestion.sync.MAX_PAYLOAD_BYTES:
            with contextlib.suppress(MappingError):
                payload = decode_payload(payload)
        decoded.append(Incoming(item.record_id, payload))
    return decoded


def unless_loaded_before(
    engine: Engine, origin: Origin, page: tuple[Sequence[Incoming], str | None]
) -> MappedPage | tuple[Sequence[Incoming], str | None, str | None]:
    """A page whose raw bytes loaded whole before, counted unchanged without being parsed or
    sent to a mapping process; any other page as ``(items, cursor, digest)``, to be mapped."""
    items, cursor = page
    digest = page_digest(items)
    if digest is not None:
        with engine.connect() as conn:
            if page_loaded(conn, origin, digest):
                return MappedPage(OrderBatch(), 0, [], len(items), cursor)
    return items, cursor, digest


def map_unless_loaded(
    engine: Engine,
    origin: Origin,
    rules: ChannelRules,
    page: tuple[Sequence[Incoming], str | None, str | None],
    **options: Any,
) -> MappedPage:
    """A page that ``unless_loaded_before`` passed on, mapped with its payloads found unchanged
    in ``engine`` counted, not mapped."""
    items, cursor, digest = page
    return map_page(
        origin, items, rules, cursor=cursor, digest=digest, skip_unchanged_in=engine, **options
    )


def map_page(
    origin: Origin,
    items: Sequence[Incoming],
    rules: ChannelRules,
    *,
    cursor: str | None = None,
    future_tolerance: dt.timedelta | None = None,
    skip_unchanged_in: Engine | None = None,
    digest: str | None = None,
) -> MappedPage:
    """Map one page into the loader's batch with ``rules``; with ``skip_unchanged_in``,
    payloads identical to their stored order in that database are counted, not mapped.
    ``digest``: the page's (``page_digest``), remembered once it loads without rejects."""
    unchanged = 0
    if skip_unchanged_in is not None and items:
        items = _decoded_items(items)
        with skip_unchanged_in.connect() as conn:
            keep = changed_indexes(
                conn,
                origin.source_system,
                origin.source_instance,
                [_record_id(item, item.payload) for item in items],
                [item.payload for item in items],
            )
        unchanged = len(items) - len(keep)
        items = [items[n] for n in keep]
    batch, mapped, rejects = map_page_orders(
        origin.source_system,
        origin.source_instance,
        items,
        rules,
        future_tolerance=future_tolerance,
    )
    # Payloads leave the mapping (often another process) as their stored JSON text: text
    # pickles as one copy, where unpickling a page of decoded payloads cost the writer
    # about 0.04 ms an order.
    batch.orders["payload"] = batch.orders["payload"].map(payload_json)
    return MappedPage(batch, mapped, rejects, unchanged, cursor, digest)


def page_loaded(conn: Connection, origin: Origin, digest: str) -> bool:
    table = LoadedPage.__table__
    found = select(table.c.orders).where(
        table.c.source_system == origin.source_system,
        table.c.source_instance == origin.source_instance,
        table.c.digest == digest,
    )
    return conn.execute(found).first() is not None
