"""Loading a chunk of canonical data as one transaction: orders, side tables, rollups, run."""

from __future__ import annotations

from sqlalchemy import Engine

from db.events import batch_committed
from db.rollups import refresh_rollups
from ingestion.loader import LoadResult
from ingestion.loader import load_orders
from ingestion.reference import Lookups
from ingestion.runs import finish_run
from ingestion.runs import start_run
from ingestion.side_tables import load_inventory
from ingestion.side_tables import load_spend
from ingestion.side_tables import load_touches
from ingestion.side_tables import load_traffic


def load_chunk(engine: Engine, chunk, source_system: str, source_instance: str) -> LoadResult:
    """One generated or synced chunk (orders + traffic, spend, inventory, touches) as one run."""
    with engine.begin() as conn:
        run_id = start_run(conn, source_system, source_instance, "all")
        lookups = Lookups.load(conn)
        # Side tables first: their days are recomputed whole, so new orders on those days
        # need not be added to the rollups one by one.
        side_days = load_traffic(conn, chunk.traffic, lookups)
        side_days |= load_spend(conn, chunk.spend, lookups)
        result = load_orders(
            conn, chunk.orders, run_id, refresh=False, recomputed=side_days, lookups=lookups
        )
        unknown_stock = load_inventory(conn, chunk.inventory, lookups)
        load_touches(conn, chunk.touches, lookups)
        refresh_rollups(conn, result.stale_days | side_days)
        result.days |= side_days
        finish_run(conn, run_id, result)
    batch_committed(result.days)
    if len(unknown_stock):
        raise ValueError(f"{len(unknown_stock)} stock rows name an unknown SKU or location")
    return result
