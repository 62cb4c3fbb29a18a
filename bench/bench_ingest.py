"""Ingesting native source payloads: the whole path vs a raw COPY, a replay, and dlt.

The demo generator's orders are written once as each source's own JSON payloads
(Shopify, Square, SAP, Salesforce), one JSON-lines file per source under
``bench/data/`` (git-ignored). Each load streams them back in batches, in a child
process whose peak resident memory is reported:

- **whole path**: ``ingestion.sync.load_pages``, as a sync runs it: skip pages and payloads
  seen before, decode, connector mapping checked column-wise (``ingestion.columnar``), in
  ``WORKERS`` spawned mapping processes → ``load_orders`` (COPY into staging, merge, lines,
  refunds, customers, rollups) with its ingest run, one transaction per batch;
- **raw COPY**: the same canonical order and line rows (payload as JSON text) COPYed into
  unindexed text tables, timed after the first load;
- **what bounds a first load**: mapping the pages alone (timed as the raw COPY maps them), and
  PostgreSQL storing the loaded rows again by COPY into copies of the order tables
  (``bench.ingest_bounds``): the two costs no write path over this schema and mapper avoids;
- **replay**: the unchanged files again;
- **dlt**: the same files as one ``dlt.resource`` per source, ``write_disposition="merge"``
  on the source's order id, into PostgreSQL (nested line items become child tables).
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import shutil
import time
from collections.abc import Iterable
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from itertools import islice
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy import text

from bench.common import Section
from bench.common import fresh_database
from bench.ingest_bounds import bound_text
from bench.ingest_bounds import storing_seconds
from ingestion.batch import LINE_COLUMNS
from ingestion.batch import ORDER_COLUMNS
from ingestion.staging import payload_json
from ingestion.sync import MAX_PAGE_BYTES

DATA = Path(__file__).resolve().parent / "data"
SEED = 23
END = "2026-06-30"
# Orders per page: the process holds about three pages at once (one loading, one mapped
# ahead, one being mapped). At 20,000 its RSS passed 1 GB; at 10,000 it stays near 0.7 GB
# for the same speed.
BATCH = 10_000
# Processes mapping pages beside the writer: with two cores, one maps while one writes.
WORKERS = 1
SYSTEMS = ("shopify", "square", "sap", "salesforce")


# --- payload files ------------------------------------------------------------------------


def payload_files(n_orders: int, seed: int = SEED) -> dict[str, Path]:
    """The JSON-lines files of about ``n_orders`` orders, written once (streamed by chunk)."""
    import datetime as dt

    from ingestion.demo import generate
    from ingestion.demo.native import native_orders

    folder = DATA / f"ingest-{n_orders}-{seed}"
    files = {system: folder / f"{system}.jsonl" for system in SYSTEMS}
    if (folder / "done").exists():
        return files
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    handles = {system: path.open("w", encoding="utf-8") for system, path in files.items()}
    try:
        end = dt.date.fromisoformat(END)
        for chunk in generate(n_orders, seed, end, years=3, chunk_days=28):
            for system, payload in native_orders(chunk.orders).items():
                handles[system].write(json.dumps(payload, separators=(",", ":")) + "\n")
    finally:
        for handle in handles.values():
            handle.close()
    (folder / "done").touch()
    return files


# --- the whole path (child process) ----------------------------------------------------------

RAW_TABLES = """
CREATE UNLOGGED TABLE IF NOT EXISTS raw_order ({orders});
CREATE UNLOGGED TABLE IF NOT EXISTS raw_line ({lines})
"""


def _raw_copy(conn, batch) -> None:
    from ingestion.frames import frame_rows

    cursor = conn.connection.driver_connection.cursor()
    orders = batch.orders.assign(payload=batch.orders["payload"].map(payload_json))
    for table, frame, columns in (
        ("raw_order", orders, ORDER_COLUMNS),
        ("raw_line", batch.lines, LINE_COLUMNS),
    ):
        names = ", ".join(f'"{c}"' for c in columns)
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in frame_rows(frame, columns):
                copy.write_row(row)


def mapping_peak_mb() -> float:
    """The highest peak RSS (VmHWM) among this process's live children, the mapping
    processes; 0 without any. (Not ``RUSAGE_CHILDREN``: Linux keeps a spawned child's
    maximum RSS across exec, so it would report the parent's size at the spawn.)"""
    peak = 0.0
    for child in multiprocessing.active_children():
        try:
            status = Path(f"/proc/{child.pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                peak = max(peak, int(line.split()[1]) / 1024)
    return peak


def pages(lines: Iterable[bytes], size: int):
    """``load_pages``' input: pages of ``size`` payloads from JSON lines."""
    from ingestion.sync import Incoming

    lines = iter(lines)
    while chunk := list(islice(lines, size)):
        yield [Incoming(None, line.rstrip(b"\n")) for line in chunk], None


def file_pages(path: Path, size: int):
    """The pages of a whole payload file."""
    with path.open("rb") as handle:
        yield from pages(handle, size)


def _load(url: str, files: dict[str, str], raw_copy: bool, batch_size: int) -> dict:
    """Every file through the whole path (``ingestion.sync.load_pages``); timings, counts and
    this process's peak RSS. With ``raw_copy``, the same canonical rows are then COPYed raw."""
    from db.engine import get_engine
    from ingestion.demo.load import INSTANCE_OF_SYSTEM
    from ingestion.rules import load_rules
    from ingestion.sync import Origin
    from ingestion.sync import SyncResult
    from ingestion.sync import load_pages
    from ingestion.sync import map_page

    engine = get_engine(url)
    total = SyncResult()
    mapping_peak = [0.0]

    def sample(_so_far) -> None:
        mapping_peak[0] = max(mapping_peak[0], mapping_peak_mb())

    start = time.perf_counter()
    for system, path in files.items():
        origin = Origin(system, INSTANCE_OF_SYSTEM[system], "bench")
        chunks = file_pages(Path(path), batch_size)
        total.merge(load_pages(engine, origin, chunks, on_page=sample, workers=WORKERS))
    seconds = time.perf_counter() - start
    copy_seconds = mapping_seconds = 0.0
    if raw_copy:
        with engine.begin() as conn:
            rules = load_rules(conn)
            columns = {
                "orders": ", ".join(f'"{c}" text' for c in ORDER_COLUMNS),
                "lines": ", ".join(f'"{c}" text' for c in LINE_COLUMNS),
            }
            for statement in RAW_TABLES.format(**columns).strip().split(";\n"):
                conn.execute(text(statement))
        for system, path in files.items():
            origin = Origin(system, INSTANCE_OF_SYSTEM[system], "bench")
            for items, _ in file_pages(Path(path), batch_size):
                start = time.perf_counter()
                batch = map_page(origin, items, rules).batch
                mapping_seconds += time.perf_counter() - start
                start = time.perf_counter()
                with engine.begin() as conn:
                    _raw_copy(conn, batch)
                copy_seconds += time.perf_counter() - start
    return {
        "read": total.read,
        "inserted": total.inserted,
        "updated": total.updated,
        "unchanged": total.unchanged,
        "rejected": total.rejected,
        "seconds": seconds,
        "copy_seconds": copy_seconds,
        "mapping_seconds": mapping_seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_mb": mapping_peak[0],
    }


# --- dlt (child process) -------------------------------------------------------------------


def _dlt_rows(path: Path, limit: int | None) -> Iterator[dict]:
    with path.open("rb") as handle:
        for line in islice(handle, limit):
            yield json.loads(line)


def _dlt_load(url: str, files: dict[str, str], limit: int | None) -> dict:
    import dlt

    from ingestion.demo.load import ID_FIELD

    work = DATA / "dlt"
    shutil.rmtree(work, ignore_errors=True)
    credentials = make_url(url).set(drivername="postgresql")
    # dlt insists on a password; a trust-auth server ignores it.
    credentials = credentials.set(password=credentials.password or "unused")
    pipeline = dlt.pipeline(
        pipeline_name="bench_ingest",
        destination=dlt.destinations.postgres(
            credentials=credentials.render_as_string(hide_password=False)
        ),
        dataset_name="dlt_orders",
        pipelines_dir=str(work),
    )
    resources = [
        dlt.resource(
            _dlt_rows(Path(path), limit),
            name=f"{system}_orders",
            write_disposition="merge",
            primary_key=ID_FIELD[system],
        )
        for system, path in files.items()
    ]
    start = time.perf_counter()
    pipeline.run(resources)
    seconds = time.perf_counter() - start
    with pipeline.sql_client() as client:
        loaded = sum(
            client.execute_sql(f"SELECT count(*) FROM {system}_orders")[0][0] for system in files
        )
    return {
        "read": loaded,
        "seconds": seconds,
        "version": dlt.__version__,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def in_child(function, *args) -> dict:
    """``function(*args)`` in a fresh interpreter, so its peak memory is its own (not a
    daemonic pool process: the load starts its own mapping processes)."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(function, *args).result()


def seed_reference(url: str) -> None:
    """The demo's regions, locations, products, exchange rates and region mappings: the
    enrichment every sync applies reads them."""
    import datetime as dt

    from db.engine import get_engine
    from ingestion.demo import reference_data
    from ingestion.demo.plan import period_start
    from ingestion.demo.reference_tables import seed_reference_tables
    from ingestion.reference import upsert_reference

    reference = reference_data()
    end = dt.date.fromisoformat(END)
    with get_engine(url).begin() as conn:
        upsert_reference(conn, reference.regions, reference.locations, reference.products)
        seed_reference_tables(conn, period_start(end, 3), end)


def orders_in(files: dict[str, Path], limit: int | None = None) -> int:
    total = 0
    for path in files.values():
        with path.open("rb") as handle:
            total += sum(1 for _ in islice(handle, limit))
    return total


def run(
    url: str | None = None,
    n_orders: int = 1_000_000,
    dlt_orders: int | None = None,
    batch_size: int = BATCH,
) -> Section:
    """Load ``n_orders`` native payloads three ways; ``dlt_orders`` caps dlt (per source file).

    ``url`` is an empty migrated database to use (default: a fresh ``cp_bench_ingest``).
    """
    files = payload_files(n_orders)
    url = url or fresh_database("cp_bench_ingest")
    seed_reference(url)
    paths = {system: str(path) for system, path in files.items()}
    first = in_child(_load, url, paths, True, batch_size)
    first["storing_seconds"] = in_child(storing_seconds, url)
    replay = in_child(_load, url, paths, False, batch_size)
    peer = in_child(_dlt_load, url, paths, dlt_orders)

    rate = first["read"] / first["seconds"]
    copy_rate = first["inserted"] / first["copy_seconds"]
    replay_rate = replay["read"] / replay["seconds"]
    dlt_rate = peer["read"] / peer["seconds"]
    section = Section(f"Ingesting {first['read']:,} native order payloads (bench/bench_ingest.py)")
    section.lines = [
        f"Shopify, Square, SAP and Salesforce JSON payloads ({orders_in(files):,} lines in "
        f"{len(files)} JSON-lines files), streamed in batches of {batch_size:,} (loaded in parts "
        f"of at most {MAX_PAGE_BYTES / 2**20:.0f} MB of payload), one writer process and "
        f"{WORKERS} mapping process(es), one transaction per part with its ingest run. Whole "
        "path (as a sync runs it): skip pages and payloads seen before, decode, "
        "connector mapping, columnar checks (pydantic only for rule-breakers), channel rules, "
        "columnar batch, mapped pages ahead in the mapping processes; exchange rates, regions "
        "and costs from the reference tables; COPY into staging, merge with lines, refunds, "
        "customers and rollups. Raw COPY: the same canonical order and line rows into "
        "unindexed text tables, same run. Replay: the same files again. "
        f"dlt {peer['version']}: one resource per source, merge on the order id "
        f"({peer['read']:,} orders). Peak memory: maximum RSS of the writer process, and of "
        "the largest mapping process.",
        "",
        f"First load: {first['inserted']:,} inserted, {first['rejected']:,} rejected; replay: "
        f"{replay['unchanged']:,} unchanged, {replay['inserted'] + replay['updated']:,} written.",
        "",
        f"Goals: first load ≥ 0.35× raw COPY ({rate / copy_rate:.2f}×: "
        f"{'met' if rate >= 0.35 * copy_rate else 'not met'}) and ≥ 5× dlt "
        f"({rate / dlt_rate:.2f}×: {'met' if rate >= 5 * dlt_rate else 'not met'}); replay "
        f"≥ 1.0× raw COPY ({replay_rate / copy_rate:.2f}×: "
        f"{'met' if replay_rate >= copy_rate else 'not met'}).",
        "",
        bound_text(first),
    ]
    section.table = [
        ["path", "seconds", "orders/s", "ratio to raw COPY", "ratio to dlt", "peak memory MB"],
        *(
            [
                name,
                f"{seconds:.1f}",
                f"{orders_rate:,.0f}",
                f"{orders_rate / copy_rate:.2f}",
                f"{orders_rate / dlt_rate:.2f}",
                memory,
            ]
            for name, seconds, orders_rate, memory in (
                (
                    "whole path, first load",
                    first["seconds"],
                    rate,
                    f"{first['peak_mb']:,.0f} + {first['worker_peak_mb']:,.0f}",
                ),
                (
                    "whole path, replay (unchanged)",
                    replay["seconds"],
                    replay_rate,
                    f"{replay['peak_mb']:,.0f} + {replay['worker_peak_mb']:,.0f}",
                ),
                ("raw COPY of the canonical rows", first["copy_seconds"], copy_rate, "–"),
                (
                    "mapping alone (one process, no database)",
                    first["mapping_seconds"],
                    first["inserted"] / first["mapping_seconds"],
                    "–",
                ),
                (
                    "storing the loaded rows alone (PostgreSQL, COPY, no merge)",
                    first["storing_seconds"],
                    first["inserted"] / first["storing_seconds"],
                    "–",
                ),
                (
                    f"dlt {peer['version']} (merge)",
                    peer["seconds"],
                    dlt_rate,
                    f"{peer['peak_mb']:,.0f}",
                ),
            )
        ),
    ]
    return section


if __name__ == "__main__":
    import sys

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    print(run(n_orders=size).markdown())
