"""Writing a page: its orders, rejects, ingest run and cursor as one transaction.

Each page is one transaction holding everything it changes: the orders (merged on
their natural key), the rejects with their raw payloads and reasons (and the earlier rejects
of the orders that now loaded, resolved: ``ingestion.sync.rejects``), the ingest run
with its counts (read = inserted + updated + unchanged + rejected) and the stream's
cursor. A crash at any point leaves either the whole page or none of it. After the
commit, the after-batch hooks run for the touched days.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection
from sqlalchemy import Engine
from sqlalchemy import insert
from sqlalchemy import select

from db.events import CoalescedHooks
from db.events import batch_committed
from db.ingestion_tables import LoadedPage
from db.ingestion_tables import SyncState
from db.schema import IngestRun
from db.settings import get_settings
from db.upsert import upsert
from ingestion.batch import OrderBatch
from ingestion.canonical import CanonicalOrder
from ingestion.canonical import to_order_batch
from ingestion.enrich import enrich_orders
from ingestion.loader import ORDER_COUNTS
from ingestion.loader import LoadResult
from ingestion.loader import add_counts
from ingestion.loader import load_orders
from ingestion.mapping import ChannelRules
from ingestion.memory import release_free_memory
from ingestion.prefetch import prefetched
from ingestion.reference import Lookups
from ingestion.rules import load_rules
from ingestion.runs import finish_run
from ingestion.runs import start_run
from ingestion.runs import utcnow
from ingestion.sync.mapping import Incoming
from ingestion.sync.mapping import MappedPage
from ingestion.sync.mapping import Origin
from ingestion.sync.mapping import RejectedPayload
from ingestion.sync.mapping import as_bytes
from ingestion.sync.mapping import map_page
from ingestion.sync.mapping import map_unless_loaded
from ingestion.sync.mapping import page_parts
from ingestion.sync.mapping import unless_loaded_before
from ingestion.sync.rejects import MAX_ERROR
from ingestion.sync.rejects import resolve_rejects
from ingestion.sync.rejects import write_rejects
from ingestion.sync.workers import mapped_in_processes
from ingestion.unsettled import settle

log = logging.getLogger(__name__)


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
        """One run's load and the payloads it rejected (read, but not loaded)."""
        add_counts(self, load)
        self.runs += 1
        self.read += rejected
        self.rejected += rejected

    def merge(self, other: SyncResult) -> None:
        add_counts(self, other, ("runs", *ORDER_COUNTS, "rejected"))


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
    """Orders the enrichment or the loader refused (``ingestion.enrich``,
    ``ingestion.references``) as rejects with their payloads."""
    return [
        RejectedPayload(order_id, reason, as_bytes(payload or {}), record_key=order_id)
        for order_id, reason, payload in zip(
            refused["source_order_id"], refused["reason"], refused["payload"], strict=True
        )
    ]


def _load_batch(
    conn: Connection,
    batch: OrderBatch,
    mapped: int,
    run_id: int,
    refresh: bool = True,
    defer: bool = False,
) -> tuple[LoadResult, list[RejectedPayload]]:
    """Enrich and load a batch of ``mapped`` canonical orders: the result (in-batch duplicates
    count as unchanged) and the orders refused for want of reference data (a rate, or a
    reference row deleted meanwhile), not loaded."""
    lookups = Lookups.load(conn)
    enriched, refused = enrich_orders(conn, batch, lookups)
    result = load_orders(
        conn, enriched, run_id, refresh=refresh, lookups=lookups, defer=defer, quarantine=True
    )
    collapsed = mapped - len(batch)
    result.read += collapsed
    result.unchanged += collapsed
    return result, [*refused_payloads(refused), *refused_payloads(result.refused)]


def _loaded_ids(batch: OrderBatch, refused: Sequence[RejectedPayload]) -> set[str]:
    """The source order ids of the batch's orders that loaded (new, updated or unchanged)."""
    return set(batch.orders["source_order_id"]) - {r.record_id for r in refused}


def load_canonical(
    conn: Connection, orders: Sequence[CanonicalOrder], run_id: int, refresh: bool = True
) -> tuple[LoadResult, list[RejectedPayload]]:
    """Load canonical orders with the database's rules and reference data: the result (in-batch
    duplicates count as unchanged) and the refused orders, for the caller to quarantine."""
    return _load_batch(conn, to_order_batch(orders, load_rules(conn)), len(orders), run_id, refresh)


def load_mapped(
    engine: Engine,
    origin: Origin,
    page: MappedPage,
    defer: bool = False,
    on_commit: Callable[[set[dt.date]], None] = batch_committed,
) -> tuple[LoadResult, list[RejectedPayload]]:
    """Load a mapped page as one transaction with its rejects, run and (if given) cursor;
    ``defer``: leave stale days and customer flags to ``ingestion.unsettled.settle``;
    ``on_commit``: handed the days the page touched once it is committed."""
    with engine.begin() as conn:
        run_id = start_run(conn, origin.source_system, origin.source_instance, origin.stream)
        result, refused = _load_batch(conn, page.batch, page.mapped, run_id, defer=defer)
        result.read += page.unchanged
        result.unchanged += page.unchanged
        rejects = [*page.rejects, *refused]
        resolve_rejects(conn, origin, _loaded_ids(page.batch, refused), run_id)
        write_rejects(conn, origin, rejects, run_id)
        if page.cursor is not None and origin.source_name is not None:
            save_cursor(conn, origin.source_name, origin.stream, page.cursor)
        if page.digest is not None and not rejects:
            _remember_page(conn, origin, page, run_id)
        finish_run(conn, run_id, result, rejected=len(rejects))
    on_commit(result.days)
    return result, rejects


def _remember_page(conn: Connection, origin: Origin, page: MappedPage, run_id: int) -> None:
    row = {
        "source_system": origin.source_system,
        "source_instance": origin.source_instance,
        "digest": page.digest,
        "orders": page.mapped + page.unchanged,
        "ingest_run_id": run_id,
    }
    key = ["source_system", "source_instance", "digest"]
    upsert(conn, LoadedPage.__table__, [row], key=key, update=[])


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
    workers: int | None = None,
) -> SyncResult:
    """Load ``(items, cursor)`` pages in order, one transaction each, mapping the next pages
    while the current one loads: in a background thread, or in ``workers`` processes
    (default: the ``ingest_workers`` setting). A page of heavy payloads loads in parts
    (``mapping.page_parts``), its cursor with the last. Unchanged payloads are skipped;
    touchpoints follow the channel rules as they were when the call began. New orders reach
    the rollups page by page; replaced orders' days and customers' flags are settled once, at
    the end (with whatever an earlier, killed call left unsettled). The after-batch hooks run
    for the pages committed every ``HOOK_INTERVAL_SECONDS`` and at the end, not page by
    page."""
    total = SyncResult()
    rules = _rules(engine)
    parts = (part for items, cursor in pages for part in page_parts(items, cursor))
    checked = (unless_loaded_before(engine, origin, part) for part in parts)
    workers = get_settings().ingest_workers if workers is None else workers
    if workers:
        url = engine.url.render_as_string(hide_password=False)
        mapped = mapped_in_processes(
            url, origin, rules, checked, workers, future_tolerance=future_tolerance
        )
    else:
        mapped = prefetched(
            page
            if isinstance(page, MappedPage)
            else map_unless_loaded(engine, origin, rules, page, future_tolerance=future_tolerance)
            for page in checked
        )
    hooks = CoalescedHooks()
    try:
        for page in mapped:
            result, rejects = load_mapped(
                engine, origin, page, defer=True, on_commit=hooks.committed
            )
            total.add(result, len(rejects))
            release_free_memory()
            if on_page is not None:
                on_page(total)
    finally:
        hooks.flush()
    settle(engine)
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
