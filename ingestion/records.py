"""Loading canonical records of one kind (orders, traffic, spend, stock, touches) in the
caller's transaction: a file's records, or the quarantine's replayed.

What the load refuses for want of reference data (``ingestion.file_refusals``) is left out
and named by the record's position, for the caller to quarantine or to keep quarantined.
"""

from __future__ import annotations

from sqlalchemy import Connection

from db.rollups import refresh_rollups
from ingestion.canonical import inventory_frame
from ingestion.canonical import spend_frame
from ingestion.canonical import touch_frame
from ingestion.canonical import traffic_frame
from ingestion.enrich import enrich_spend
from ingestion.file_refusals import by_position
from ingestion.file_refusals import refusals
from ingestion.loader import LoadResult
from ingestion.reference import Lookups
from ingestion.side_tables import load_inventory
from ingestion.side_tables import load_spend
from ingestion.side_tables import load_touches
from ingestion.side_tables import load_traffic
from ingestion.sync import load_canonical


def _load_side(conn: Connection, kind: str, records: list, lookups: Lookups) -> LoadResult:
    result = LoadResult(read=len(records), updated=len(records))
    if kind == "traffic":
        result.stale_days = load_traffic(conn, traffic_frame(records), lookups)
    elif kind == "spend":
        frame, _ = enrich_spend(conn, spend_frame(records))
        result.stale_days = load_spend(conn, frame, lookups)
    elif kind == "inventory":
        load_inventory(conn, inventory_frame(records), lookups)
    else:
        load_touches(conn, touch_frame(records), lookups)
    result.days = set(result.stale_days)
    return result


def load_records(
    conn: Connection, kind: str, records: list, run_id: int
) -> tuple[LoadResult, dict[int, str]]:
    """Load canonical records of one kind in the caller's transaction, their days' rollups
    refreshed: the result, and why each record refused for want of reference data (by
    position) was not loaded (``ingestion.file_refusals``)."""
    if kind == "orders":
        result, refused = load_canonical(conn, records, run_id, refresh=False)
        refusals_of = by_position(records, {r.record_id: r.error for r in refused})
    else:
        lookups = Lookups.load(conn)
        refusals_of = refusals(conn, kind, records, lookups)
        known = [r for n, r in enumerate(records) if n not in refusals_of]
        result = _load_side(conn, kind, known, lookups)
    refresh_rollups(conn, result.stale_days)
    return result, refusals_of
