"""Loading the demo data set through the real path: source payloads → connectors → loader.

Chunk by chunk, the generator's canonical data becomes each source's own payloads
(``ingestion.demo.native``) and export files (``ingestion.demo.native_files``); the
connectors map them back (``ingestion.sync.map_orders``, which quarantines what fails),
the channel rules of the database assign touchpoints, the reference tables (seeded from
the demo's own, ``ingestion.demo.reference_tables``) fill in region, exchange rate and
unit cost as for any sync (``ingestion.enrich``), and the loader merges everything of one
chunk in one transaction with its rejects and one ingest run per source (the demo's
configured sources, ``ingestion.demo.sources``), as if each system had been synced.

A payload whose hash equals the stored order's is not mapped again (``skip_unchanged``),
so loading the same demo twice changes nothing and the second time is quick.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection
from sqlalchemy import Engine

from db.events import batch_committed
from db.rollups import refresh_rollups
from ingestion.batch import OrderBatch
from ingestion.canonical import CanonicalOrder
from ingestion.canonical import inventory_frame
from ingestion.canonical import spend_frame
from ingestion.canonical import to_order_batch
from ingestion.canonical import touch_frame
from ingestion.canonical import traffic_frame
from ingestion.connectors import ga4
from ingestion.connectors.files import FileMapping
from ingestion.connectors.files import RowError
from ingestion.connectors.files import iter_file
from ingestion.demo.generator import DemoChunk
from ingestion.demo.generator import generate
from ingestion.demo.native import NativeOrders
from ingestion.demo.native import native_orders
from ingestion.demo.native_files import FILES
from ingestion.demo.native_files import NativeSideData
from ingestion.demo.native_files import native_side_data
from ingestion.demo.plan import period_start
from ingestion.demo.reference import reference_data
from ingestion.demo.reference_tables import seed_reference_tables
from ingestion.demo.sources import FILES_INSTANCE
from ingestion.demo.sources import GA4_INSTANCE
from ingestion.demo.sources import INSTANCE_OF_SYSTEM
from ingestion.enrich import enrich_orders
from ingestion.enrich import enrich_spend
from ingestion.errors import IngestionError
from ingestion.loader import LoadResult
from ingestion.loader import load_orders
from ingestion.mapping import ChannelRules
from ingestion.reference import Lookups
from ingestion.reference import upsert_reference
from ingestion.rules import load_rules
from ingestion.runs import finish_run
from ingestion.runs import start_run
from ingestion.side_tables import load_inventory
from ingestion.side_tables import load_spend
from ingestion.side_tables import load_touches
from ingestion.side_tables import load_traffic
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import RejectedPayload
from ingestion.sync import SyncResult
from ingestion.sync import map_orders
from ingestion.sync import refused_payloads
from ingestion.sync import write_rejects
from ingestion.unchanged import changed_indexes

# The field holding each source's own order id.
ID_FIELD = {"shopify": "id", "square": "id", "sap": "SalesOrder", "salesforce": "Id"}
STREAM = "orders"
# A chunk is one transaction per source; its statements' fixed cost is paid once a chunk.
ORDERS_PER_CHUNK = 5_000
MIN_CHUNK_DAYS, MAX_CHUNK_DAYS = 14, 120


@cache
def _mapping(path: Path) -> FileMapping:
    return FileMapping.from_yaml(path)


def record_id(source_system: str, payload: dict[str, Any]) -> str:
    return str(payload.get(ID_FIELD[source_system]))


def skip_unchanged(
    conn: Connection, source_system: str, source_instance: str, payloads: Sequence[dict]
) -> tuple[list[dict], int]:
    """The payloads whose hash differs from the stored order's, and how many were skipped."""
    ids = [record_id(source_system, p) for p in payloads]
    keep = changed_indexes(conn, source_system, source_instance, ids, payloads)
    return [payloads[n] for n in keep], len(payloads) - len(keep)


def as_received(payloads: Iterable[dict]) -> list[dict]:
    """The payloads as a connector receives them: JSON text, decoded."""
    return [json.loads(json.dumps(p)) for p in payloads]


def map_native_orders(
    native: NativeOrders,
    rules: ChannelRules,
    conn: Connection | None = None,
) -> tuple[OrderBatch, dict[str, list[RejectedPayload]], dict[str, int]]:
    """The chunk's orders mapped by the connectors: batch, rejects and unchanged count per
    source system.

    With ``conn``, payloads identical to the stored orders are skipped (and counted).
    """
    orders: list[CanonicalOrder] = []
    rejects: dict[str, list[RejectedPayload]] = {}
    unchanged = dict.fromkeys(ID_FIELD, 0)
    for system in ID_FIELD:
        instance = INSTANCE_OF_SYSTEM[system]
        payloads = as_received(getattr(native, system))
        if conn is not None:
            payloads, unchanged[system] = skip_unchanged(conn, system, instance, payloads)
        mapped, failed = map_orders(
            system, instance, [Incoming(record_id(system, p), p) for p in payloads]
        )
        orders += mapped
        if failed:
            rejects[system] = failed
    return to_order_batch(orders, rules), rejects, unchanged


def _file_records(name: str, data: bytes) -> list:
    records = []
    for item in iter_file(data, _mapping(FILES[name])):
        if isinstance(item, RowError):
            raise IngestionError(f"demo export {name} row {item.row}: {item.reason}")
        records.append(item)
    return records


def read_side_data(side: NativeSideData) -> tuple[list, dict[str, list]]:
    """The GA4 report's traffic records and each export file's records."""
    files = {name: _file_records(name, data) for name, data in side.files.items()}
    return ga4.to_traffic(side.ga4_rows), files


def side_frames(ga4_traffic: list, files: dict[str, list]) -> dict[str, pd.DataFrame]:
    """Traffic, spend, inventory and touches frames from the GA4 traffic and the files' records."""
    traffic = ga4_traffic.copy()
    for name in ("marketplace_sessions.csv", "footfall.csv", "opportunities.csv"):
        traffic += files[name]
    return {
        "traffic": traffic_frame(traffic),
        "spend": spend_frame(files["ad_spend.csv"]),
        "inventory": inventory_frame(files["stock_levels.csv"]),
        "touches": touch_frame(files["journeys.jsonl"]),
    }


def map_side_data(side: NativeSideData) -> dict[str, pd.DataFrame]:
    """Traffic, spend, inventory and touches frames from the GA4 rows and export files."""
    return side_frames(*read_side_data(side))


def _of_system(batch: OrderBatch, system: str) -> OrderBatch:
    return OrderBatch(
        *(
            frame[frame["source_system"] == system]
            for frame in (batch.orders, batch.lines, batch.refunds)
        )
    )


def _load_side_run(conn: Connection, system: str, instance: str, stream: str, rows: int) -> None:
    """The run of a side source (GA4, the export files): its rows are upserted per day, so
    the run counts them read and written (it cannot tell new rows from rewritten ones)."""
    run_id = start_run(conn, system, instance, stream)
    finish_run(conn, run_id, LoadResult(read=rows, updated=rows))


def load_native_chunk(engine: Engine, chunk: DemoChunk) -> SyncResult:
    """One chunk through the connectors and the loader, as one transaction with one run per
    source."""
    native = native_orders(chunk.orders)
    side_data = native_side_data(chunk)
    ga4_traffic, files = read_side_data(side_data)
    side = side_frames(ga4_traffic, files)
    total = SyncResult()
    with engine.begin() as conn:
        runs = {s: start_run(conn, s, INSTANCE_OF_SYSTEM[s], STREAM) for s in ID_FIELD}
        batch, rejects, unchanged = map_native_orders(native, load_rules(conn), conn)
        lookups = Lookups.load(conn)
        batch, refused = enrich_orders(conn, batch, lookups)
        for system, group in refused.groupby("source_system"):
            rejects.setdefault(system, []).extend(refused_payloads(group))
        spend, no_rate = enrich_spend(conn, side["spend"])
        if len(no_rate):
            raise IngestionError(f"demo ad spend: {no_rate.iloc[0]}")
        side_days = load_traffic(conn, side["traffic"], lookups)
        side_days |= load_spend(conn, spend, lookups)
        unknown_stock = load_inventory(conn, side["inventory"], lookups)
        if len(unknown_stock):
            raise IngestionError(f"{len(unknown_stock)} stock rows name an unknown SKU or location")
        load_touches(conn, side["touches"], lookups)
        days, stale = set(side_days), set()
        for system, run_id in runs.items():
            result = load_orders(
                conn,
                _of_system(batch, system),
                run_id,
                refresh=False,
                recomputed=side_days,
                lookups=lookups,
            )
            result.read += unchanged[system]
            result.unchanged += unchanged[system]
            failed = rejects.get(system, [])
            write_rejects(conn, Origin(system, INSTANCE_OF_SYSTEM[system], STREAM), failed, run_id)
            finish_run(conn, run_id, result, rejected=len(failed))
            total.add(result, len(failed))
            days |= result.days
            stale |= result.stale_days
        _load_side_run(conn, "ga4", GA4_INSTANCE, "traffic", len(side_data.ga4_rows))
        _load_side_run(conn, "file", FILES_INSTANCE, "exports", sum(len(r) for r in files.values()))
        refresh_rollups(conn, stale | side_days)
    batch_committed(days)
    return total


def chunk_days_for(n_orders: int, years: int) -> int:
    """Days per chunk for about ``ORDERS_PER_CHUNK`` orders: a chunk's statements cost the same
    whatever its size, so a small data set loads in a few chunks, not one per fortnight."""
    per_day = n_orders / (365 * years)
    return min(MAX_CHUNK_DAYS, max(MIN_CHUNK_DAYS, math.ceil(ORDERS_PER_CHUNK / per_day)))


def load_demo_native(
    engine: Engine,
    n_orders: int,
    seed: int,
    end: dt.date,
    years: int = 3,
    progress: Callable[[DemoChunk, SyncResult], None] | None = None,
    chunk_days: int | None = None,
) -> SyncResult:
    """Generate the demo data set and load it through the connectors, one chunk (one
    transaction) of ``chunk_days`` days at a time (by default, days enough for about
    ``ORDERS_PER_CHUNK`` orders).

    Idempotent: a second run finds every payload unchanged. ``progress`` is called after
    each chunk with the chunk and the running totals.
    """
    reference = reference_data()
    with engine.begin() as conn:
        upsert_reference(conn, reference.regions, reference.locations, reference.products)
        seed_reference_tables(conn, period_start(end, years), end)
    total = SyncResult()
    days = chunk_days or chunk_days_for(n_orders, years)
    for chunk in generate(n_orders, seed, end, years=years, chunk_days=days):
        total.merge(load_native_chunk(engine, chunk))
        if progress is not None:
            progress(chunk, total)
    return total
