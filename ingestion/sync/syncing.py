"""Syncing a source: fetch pages from the stored cursor and load them by the kind's strategy.

The next run re-reads from the stored cursor less the look-back window, so the effect
is exactly once; a lost database is retried with backoff, resuming at the last commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import InterfaceError
from sqlalchemy.exc import OperationalError

from db.engine import get_engine
from db.events import batch_committed
from db.rollups import refresh_rollups
from db.settings import get_settings
from ingestion.canonical import traffic_frame
from ingestion.connectors.kind import LoadStrategy
from ingestion.connectors.registry import KINDS
from ingestion.errors import MappingError
from ingestion.loader import LoadResult
from ingestion.reference import Lookups
from ingestion.runs import finish_run
from ingestion.runs import start_run
from ingestion.side_tables import load_traffic
from ingestion.sources import connector
from ingestion.sources import get_source
from ingestion.sync.coalesce import coalesced
from ingestion.sync.mapping import Incoming
from ingestion.sync.mapping import RejectedPayload
from ingestion.sync.mapping import as_bytes
from ingestion.sync.rejects import write_rejects
from ingestion.sync.writing import Origin
from ingestion.sync.writing import SyncResult
from ingestion.sync.writing import load_cursor
from ingestion.sync.writing import load_pages
from ingestion.sync.writing import record_failure
from ingestion.sync.writing import save_cursor

log = logging.getLogger(__name__)


def sync_source(
    name: str,
    *,
    engine: Engine | None = None,
    client_options: dict[str, Any] | None = None,
    future_tolerance: dt.timedelta | None = None,
    on_page: Callable[[SyncResult], None] | None = None,
) -> SyncResult:
    """Pull one configured source from its stored cursor to the end, one transaction per run of
    consecutive pages (``coalesce``)."""
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
        kind = KINDS[source.kind]
        if kind.load is LoadStrategy.SESSIONS:
            _sync_sessions(engine, origin, pull, cursor, total, kind.mapper)
        else:
            pages = coalesced(
                (
                    ([Incoming(r.record_id, r.payload) for r in page.records], page.cursor)
                    for page in pull.fetch(cursor)
                ),
                get_settings().sync_join_records,
            )
            total = load_pages(
                engine, origin, pages, future_tolerance=future_tolerance, on_page=on_page
            )
    except Exception as exc:
        record_failure(engine, origin, f"{exc.__class__.__name__}: {exc}")
        raise
    return total


def _sync_sessions(
    engine: Engine, origin: Origin, pull, cursor: str | None, total, to_traffic
) -> None:
    """A day's rows may span pages, so every page is read before one transaction loads it."""
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
    """A lost or refused database connection, worth retrying once the server is back; also
    a transaction PostgreSQL rolled back to break a deadlock (an ``OperationalError`` too),
    worth retrying at once."""
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
    """``run()``, retried with exponential backoff while the database is unreachable (or a
    page lost a deadlock with another writer).

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
            log.warning("sync lost the database or a deadlock (%s); retrying in %.1f s", exc, wait)
            sleep(wait)
            attempt += 1


def sync_with_retry(name: str, **options: Any) -> SyncResult:
    return retrying(lambda: sync_source(name, **options))
