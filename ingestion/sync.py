"""Syncing a source: fetch pages from the cursor, map, quarantine failures, load, move the cursor.

Each page is one transaction holding everything it changes: the orders (merged on
their natural key), the rejects with their raw payloads and reasons, the ingest run
with its counts (read = inserted + updated + unchanged + rejected) and the stream's
cursor. A crash at any point leaves either the whole page or none of it, and the
next run re-reads from the stored cursor less the look-back window, so the effect
is exactly once. After the commit, the after-batch hooks run for the touched days.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from db.engine import get_engine
from db.events import batch_committed
from db.ingestion_tables import Reject, SyncState
from db.rollups import refresh_rollups
from db.schema import IngestRun
from db.upsert import upsert
from ingestion.batch import OrderBatch
from ingestion.canonical import CanonicalOrder, decode_payload, to_order_batch, traffic_frame
from ingestion.connectors.ga4 import to_traffic
from ingestion.enrich import enrich_orders
from ingestion.errors import IngestionError, MappingError
from ingestion.loader import LoadResult, load_orders
from ingestion.mapping import ChannelRules, touchpoint_raw
from ingestion.prefetch import prefetched
from ingestion.reference import Lookups
from ingestion.rules import load_rules
from ingestion.runs import finish_run, start_run, utcnow
from ingestion.side_tables import load_traffic
from ingestion.sources import ORDER_MAPPERS, SourceInfo, connector, get_source
from ingestion.unchanged import changed_indexes

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 2 * 1024 * 1024
# Column widths of sales_order / order_line that a payload's values must fit.
MAX_ORDER_ID = 80
MAX_SKU = 64
MAX_TOUCHPOINT_RAW = 200
MAX_ERROR = 4000
RECORD_ID_FIELDS = ("id", "Id", "SalesOrder", "order_id")


@dataclass(frozen=True)
class Incoming:
    """One record as received: its source id if known, and the payload (parsed JSON or bytes)."""

    record_id: str | None
    payload: dict[str, Any] | bytes


@dataclass(frozen=True)
class RejectedPayload:
    record_id: str | None
    error: str
    payload: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.payload).hexdigest()


@dataclass
class SyncResult:
    """Counts over every page of one sync (or one push, or one replay)."""

    runs: int = 0
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0

    def add(self, load: LoadResult, rejected: int) -> None:
        self.runs += 1
        self.read += load.read + rejected
        self.inserted += load.inserted
        self.updated += load.updated
        self.unchanged += load.unchanged
        self.rejected += rejected

    def merge(self, other: SyncResult) -> None:
        self.runs += other.runs
        self.read += other.read
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected += other.rejected


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


# --- mapping ----------------------------------------------------------------------------


def as_bytes(payload: dict[str, Any] | bytes) -> bytes:
    if isinstance(payload, bytes):
        return payload
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _decoded(payload: dict[str, Any] | bytes) -> dict[str, Any]:
    if not isinstance(payload, bytes):
        return payload
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise MappingError(
            f"payload is {_megabytes(len(payload))}, larger than the "
            f"{_megabytes(MAX_PAYLOAD_BYTES)} an order may have"
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


def _record_id(item: Incoming, payload: Any) -> str | None:
    if item.record_id not in (None, "", "None"):
        return item.record_id
    if isinstance(payload, dict):
        for name in RECORD_ID_FIELDS:
            if payload.get(name) not in (None, ""):
                return str(payload[name])[:200]
    return None


def map_orders(
    source_system: str,
    source_instance: str,
    items: Iterable[Incoming],
    *,
    future_tolerance: dt.timedelta | None = None,
) -> tuple[list[CanonicalOrder], list[RejectedPayload]]:
    """Canonical orders, and a reject with a readable reason for every payload that fails.

    Records that are not orders (a Salesforce opportunity not won) are in neither list.
    """
    mapper = ORDER_MAPPERS.get(source_system)
    if mapper is None:
        raise IngestionError(f"{source_system} records are not orders")
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
            rejects.append(
                RejectedPayload(_record_id(item, payload), str(exc), as_bytes(item.payload))
            )
        except Exception as exc:  # noqa: BLE001 — a malformed payload must never stop the batch
            reason = f"cannot map the payload ({exc.__class__.__name__}: {exc})"
            rejects.append(
                RejectedPayload(_record_id(item, payload), reason, as_bytes(item.payload))
            )
    return orders, rejects


# --- writing ----------------------------------------------------------------------------


def write_rejects(
    conn: Connection, origin: Origin, rejects: Sequence[RejectedPayload], run_id: int | None
) -> None:
    if not rejects:
        return
    now = utcnow()
    conn.execute(
        insert(Reject.__table__),
        [
            {
                "source_name": origin.source_name,
                "source_system": origin.source_system,
                "source_instance": origin.source_instance,
                "stream": origin.stream,
                "record_id": r.record_id[:200] if r.record_id else None,
                "error": r.error[:MAX_ERROR],
                "payload": r.payload,
                "payload_sha256": r.sha256,
                "received_at": now,
                "ingest_run_id": run_id,
                "status": "quarantined",
            }
            for r in rejects
        ],
    )


def save_cursor(conn: Connection, source_name: str, stream: str, cursor: str | None) -> None:
    upsert(
        conn,
        SyncState.__table__,
        [{"source": source_name, "stream": stream, "cursor": cursor, "updated_at": utcnow()}],
        key=["source", "stream"],
    )


def load_cursor(conn: Connection, source_name: str, stream: str) -> str | None:
    table = SyncState.__table__
    return conn.execute(
        select(table.c.cursor).where(table.c.source == source_name, table.c.stream == stream)
    ).scalar()


def refused_payloads(refused: pd.DataFrame) -> list[RejectedPayload]:
    """Orders the enrichment refused (``ingestion.enrich``) as rejects with their payloads."""
    return [
        RejectedPayload(order_id, reason, as_bytes(payload or {}))
        for order_id, reason, payload in zip(
            refused["source_order_id"], refused["reason"], refused["payload"], strict=True
        )
    ]


def _load_batch(
    conn: Connection, batch: OrderBatch, mapped: int, run_id: int, refresh: bool = True
) -> tuple[LoadResult, list[RejectedPayload]]:
    """Enrich and load a batch of ``mapped`` canonical orders: the result (in-batch duplicates
    count as unchanged) and the orders refused for want of reference data, not loaded."""
    lookups = Lookups.load(conn)
    enriched, refused = enrich_orders(conn, batch, lookups)
    result = load_orders(conn, enriched, run_id, refresh=refresh, lookups=lookups)
    collapsed = mapped - len(batch)
    result.read += collapsed
    result.unchanged += collapsed
    return result, refused_payloads(refused)


def load_canonical(
    conn: Connection, orders: Sequence[CanonicalOrder], run_id: int, refresh: bool = True
) -> tuple[LoadResult, list[RejectedPayload]]:
    """Load canonical orders with the database's rules and reference data: the result (in-batch
    duplicates count as unchanged) and the refused orders, for the caller to quarantine."""
    return _load_batch(conn, to_order_batch(orders, load_rules(conn)), len(orders), run_id, refresh)


@dataclass
class MappedPage:
    """One page ready to load: the loader's batch of the ``mapped`` canonical orders (fewer
    rows where copies of one order collapsed), rejects, and payloads found unchanged."""

    batch: OrderBatch
    mapped: int
    rejects: list[RejectedPayload]
    unchanged: int = 0
    cursor: str | None = None


def _decoded_items(items: Sequence[Incoming]) -> list[Incoming]:
    """Byte payloads decoded where they decode (the rest stay bytes, to be quarantined)."""
    decoded = []
    for item in items:
        payload = item.payload
        if isinstance(payload, bytes) and len(payload) <= MAX_PAYLOAD_BYTES:
            with contextlib.suppress(MappingError):
                payload = decode_payload(payload)
        decoded.append(Incoming(item.record_id, payload))
    return decoded


def map_page(
    origin: Origin,
    items: Sequence[Incoming],
    rules: ChannelRules,
    *,
    cursor: str | None = None,
    future_tolerance: dt.timedelta | None = None,
    skip_unchanged_in: Engine | None = None,
) -> MappedPage:
    """Map one page into the loader's batch with ``rules``; with ``skip_unchanged_in``,
    payloads identical to their stored order in that database are counted, not mapped."""
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
    orders, rejects = map_orders(
        origin.source_system, origin.source_instance, items, future_tolerance=future_tolerance
    )
    return MappedPage(to_order_batch(orders, rules), len(orders), rejects, unchanged, cursor)


def load_mapped(
    engine: Engine, origin: Origin, page: MappedPage
) -> tuple[LoadResult, list[RejectedPayload]]:
    """Load a mapped page as one transaction with its rejects, run and (if given) cursor."""
    with engine.begin() as conn:
        run_id = start_run(conn, origin.source_system, origin.source_instance, origin.stream)
        result, refused = _load_batch(conn, page.batch, page.mapped, run_id)
        result.read += page.unchanged
        result.unchanged += page.unchanged
        rejects = [*page.rejects, *refused]
        write_rejects(conn, origin, rejects, run_id)
        if page.cursor is not None and origin.source_name is not None:
            save_cursor(conn, origin.source_name, origin.stream, page.cursor)
        finish_run(conn, run_id, result, rejected=len(rejects))
    batch_committed(result.days)
    return result, rejects


def _rules(engine: Engine) -> ChannelRules:
    with engine.connect() as conn:
        return load_rules(conn)


def load_page(
    engine: Engine,
    origin: Origin,
    items: Sequence[Incoming],
    *,
    cursor: str | None = None,
    future_tolerance: dt.timedelta | None = None,
) -> tuple[LoadResult, list[RejectedPayload]]:
    """Map and load one page as one transaction with its rejects, run and (if given) cursor."""
    page = map_page(origin, items, _rules(engine), cursor=cursor, future_tolerance=future_tolerance)
    return load_mapped(engine, origin, page)


def load_pages(
    engine: Engine,
    origin: Origin,
    pages: Iterable[tuple[Sequence[Incoming], str | None]],
    *,
    future_tolerance: dt.timedelta | None = None,
    on_page: Callable[[SyncResult], None] | None = None,
) -> SyncResult:
    """Load ``(items, cursor)`` pages in order, one transaction each, mapping the next page
    in a background thread while the current one loads. Unchanged payloads are skipped;
    touchpoints follow the channel rules as they were when the call began."""
    total = SyncResult()
    rules = _rules(engine)
    mapped = (
        map_page(
            origin,
            items,
            rules,
            cursor=cursor,
            future_tolerance=future_tolerance,
            skip_unchanged_in=engine,
        )
        for items, cursor in pages
    )
    for page in prefetched(mapped):
        result, rejects = load_mapped(engine, origin, page)
        total.add(result, len(rejects))
        if on_page is not None:
            on_page(total)
    return total


def record_failure(engine: Engine, origin: Origin, error: str) -> None:
    """A failed run, in its own transaction, for the Sources page; never raises."""
    now = utcnow()
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(IngestRun.__table__).values(
                    source_system=origin.source_system,
                    source_instance=origin.source_instance,
                    stream=origin.stream,
                    started_at=now,
                    finished_at=now,
                    status="failed",
                    error=error[:MAX_ERROR],
                )
            )
    except Exception:  # noqa: BLE001 — the database itself may be what failed
        log.exception("could not record the failed sync of %s", origin.source_name)


# --- syncing ----------------------------------------------------------------------------


def sync_source(
    name: str,
    *,
    engine: Engine | None = None,
    client_options: dict[str, Any] | None = None,
    future_tolerance: dt.timedelta | None = None,
    on_page: Callable[[SyncResult], None] | None = None,
) -> SyncResult:
    """Pull one configured source from its stored cursor to the end, one transaction a page."""
    engine = engine or get_engine()
    with engine.connect() as conn:
        source = get_source(conn, name)
    origin = Origin.of(source, "sync")
    total = SyncResult()
    try:
        pull = connector(source, **(client_options or {}))
        origin = Origin.of(source, pull.stream)
        with engine.connect() as conn:
            cursor = load_cursor(conn, source.name, pull.stream)
        if source.kind == "ga4":
            _sync_sessions(engine, origin, pull, cursor, total)
        else:
            pages = (
                ([Incoming(r.record_id, r.payload) for r in page.records], page.cursor)
                for page in pull.fetch(cursor)
            )
            total = load_pages(
                engine, origin, pages, future_tolerance=future_tolerance, on_page=on_page
            )
    except Exception as exc:
        record_failure(engine, origin, f"{exc.__class__.__name__}: {exc}")
        raise
    return total


def _sync_sessions(engine: Engine, origin: Origin, pull, cursor: str | None, total) -> None:
    """GA4: a day's rows may span pages, so every page is read before one transaction loads it."""
    rows: list[Incoming] = []
    new_cursor = cursor
    for page in pull.fetch(cursor):
        rows += [Incoming(r.record_id, r.payload) for r in page.records]
        new_cursor = page.cursor
    good, rejects = [], []
    for item in rows:
        try:
            to_traffic([item.payload], source_system=origin.source_system)
            good.append(item.payload)
        except MappingError as exc:
            rejects.append(RejectedPayload(item.record_id, str(exc), as_bytes(item.payload)))
    with engine.begin() as conn:
        run_id = start_run(conn, origin.source_system, origin.source_instance, origin.stream)
        frame = traffic_frame(to_traffic(good, source_system=origin.source_system))
        days = load_traffic(conn, frame, Lookups.load(conn))
        refresh_rollups(conn, days)
        write_rejects(conn, origin, rejects, run_id)
        save_cursor(conn, origin.source_name, origin.stream, new_cursor)
        result = LoadResult(read=len(good), updated=len(good), days=days)
        finish_run(conn, run_id, result, rejected=len(rejects))
    batch_committed(days)
    total.add(result, len(rejects))


def is_connection_error(exc: BaseException) -> bool:
    """A lost or refused database connection: worth retrying once the server is back."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def retrying(
    run: Callable[[], SyncResult],
    *,
    attempts: int = 10,
    backoff: float = 0.5,
    max_wait: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncResult:
    """``run()``, retried with exponential backoff while the database is unreachable.

    Every committed page moved its cursor, so a retry resumes where the last commit left off.
    """
    attempt = 1
    while True:
        try:
            return run()
        except Exception as exc:
            if not is_connection_error(exc) or attempt >= attempts:
                raise
            wait = min(max_wait, backoff * 2 ** (attempt - 1))
            log.warning("sync lost the database (%s); retrying in %.1f s", exc, wait)
            sleep(wait)
            attempt += 1


def sync_with_retry(name: str, **options: Any) -> SyncResult:
    return retrying(lambda: sync_source(name, **options))


# --- pushes -----------------------------------------------------------------------------


def ingest_push(source_name: str, body: bytes) -> dict[str, int]:
    """A verified webhook push (an RQ job on the ``ingest`` queue).

    A Shopify order webhook carries the whole order and is loaded as it is; a Square
    notification only names the changed order, so it triggers a sync of the source.
    """
    engine = get_engine()
    with engine.connect() as conn:
        source = get_source(conn, source_name)
    if source.kind != "shopify":
        result = sync_with_retry(source_name)
        return {"read": result.read, "rejected": result.rejected}
    origin = Origin(source.kind, source.instance, "webhook", source.name)
    result, rejects = load_page(engine, origin, [Incoming(None, body)])
    return {"read": result.read + len(rejects), "rejected": len(rejects)}
