"""Syncing a source: fetch pages from the cursor, map, quarantine failures, load, move the cursor.

Five parts: ``mapping`` (payloads to the loader's batch, failures to rejects), ``writing``
(a page as one transaction with its rejects, run and cursor), ``rejects`` (the quarantine's
rows: kept once, resolved when their record loads), ``syncing`` (a source from
its stored cursor by its kind's load strategy, retried while the database is away) and
``pushes`` (verified webhook pushes, as RQ jobs).
"""

from ingestion.sync.mapping import Incoming
from ingestion.sync.mapping import MappedPage
from ingestion.sync.mapping import RejectedPayload
from ingestion.sync.mapping import as_bytes
from ingestion.sync.mapping import map_orders
from ingestion.sync.mapping import map_page
from ingestion.sync.pushes import ingest_push
from ingestion.sync.rejects import resolve_rejects
from ingestion.sync.rejects import write_rejects
from ingestion.sync.syncing import is_connection_error
from ingestion.sync.syncing import retrying
from ingestion.sync.syncing import sync_source
from ingestion.sync.syncing import sync_with_retry
from ingestion.sync.writing import Origin
from ingestion.sync.writing import SyncResult
from ingestion.sync.writing import load_canonical
from ingestion.sync.writing import load_cursor
from ingestion.sync.writing import load_mapped
from ingestion.sync.writing import load_page
from ingestion.sync.writing import load_pages
from ingestion.sync.writing import record_failure
from ingestion.sync.writing import refused_payloads
from ingestion.sync.writing import save_cursor

# The largest payload an order may have; mapping reads it here at call time.
MAX_PAYLOAD_BYTES = 2 * 1024 * 1024
# The most payload bytes a page loads in one part (``mapping.page_parts``), read at call time.
MAX_PAGE_BYTES = 10 * 1024 * 1024

__all__ = [
    "MAX_PAGE_BYTES",
    "MAX_PAYLOAD_BYTES",
    "Incoming",
    "MappedPage",
    "Origin",
    "RejectedPayload",
    "SyncResult",
    "as_bytes",
    "ingest_push",
    "is_connection_error",
    "load_canonical",
    "load_cursor",
    "load_mapped",
    "load_page",
    "load_pages",
    "map_orders",
    "map_page",
    "record_failure",
    "refused_payloads",
    "resolve_rejects",
    "retrying",
    "save_cursor",
    "sync_source",
    "sync_with_retry",
    "write_rejects",
]
