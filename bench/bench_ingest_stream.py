"""Streaming 10M native order payloads through the whole ingest path: rate and memory stay flat.

The same JSON-lines payload files as ``bench_ingest`` (Shopify, Square, SAP, Salesforce),
at ten million orders, loaded once through ``ingestion.sync.load_pages`` in a child process
into a fresh database, as a company's scheduled syncs would backfill them: in ``ROUNDS``
rounds, each a sync of every source over the next slice of its file (the files are in date
order, so a round covers about the same weeks of every source). Every million orders then
holds the same mix of sources — Shopify's one-line orders and SAP's many-line ones load at
very different rates — and the curve shows what the tables' growth alone costs. After every
page the child records how many payloads it has read, when, and the peak resident memory of
itself and of its mapping processes. The curve gives each million's own rate: the last
million's should be at least 0.8× the first's (the tables growing must not slow the load
down), and the peak should stay within 1 GB.
"""

from __future__ import annotations

import resource
import time
from contextlib import ExitStack
from itertools import islice
from pathlib import Path

from bench.bench_ingest import BATCH
from bench.bench_ingest import WORKERS
from bench.bench_ingest import in_child
from bench.bench_ingest import mapping_peak_mb
from bench.bench_ingest import pages
from bench.bench_ingest import payload_files
from bench.bench_ingest import seed_reference
from bench.common import Section
from bench.common import fresh_database
from ingestion.sync import MAX_PAGE_BYTES

BASELINE_ORDERS = 1_000_000
GOAL_MB = 1024
GOAL_ORDERS = 9_900_000  # the generator yields about, not exactly, the orders asked
PROGRESS_EVERY = 500_000  # orders between progress lines: a 10M run takes half an hour or more
ROUNDS = 10  # syncs of every source, each over the next tenth of its file


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _line_count(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 24), b""))


def _rounds(files: dict[str, str], rounds: int, batch_size: int):
    """(system, pages) per sync: round by round, every source's next slice of its file."""
    counts = {system: _line_count(Path(path)) for system, path in files.items()}
    with ExitStack() as stack:
        handles = {
            system: stack.enter_context(Path(path).open("rb")) for system, path in files.items()
        }
        for done in range(rounds):
            for system, handle in handles.items():
                total = counts[system]
                count = total * (done + 1) // rounds - total * done // rounds
                yield system, pages(islice(handle, count), batch_size)


def _stream(url: str, files: dict[str, str], batch_size: int) -> dict:
    """Every file through ``load_pages`` in ``ROUNDS`` rounds of syncs; counts, seconds, and
    after every page (orders read, seconds, writer's peak MB, mapping processes' peak MB)."""
    from db.engine import get_engine
    from ingestion.demo.load import INSTANCE_OF_SYSTEM
    from ingestion.sync import Origin
    from ingestion.sync import SyncResult
    from ingestion.sync import load_pages

    engine = get_engine(url)
    total = SyncResult()
    checkpoints: list[tuple[int, float, float, float]] = []
    start = time.perf_counter()
    mapping_peak = 0.0

    def checkpoint(read: int) -> None:
        nonlocal mapping_peak
        seconds = time.perf_counter() - start
        mapping_peak = max(mapping_peak, mapping_peak_mb())
        peak = _peak_mb()
        if checkpoints and read // PROGRESS_EVERY > checkpoints[-1][0] // PROGRESS_EVERY:
            print(
                f"  {read:,} orders read in {seconds:,.0f} s ({read / seconds:,.0f}/s), "
                f"peak {peak:,.0f} MB + {mapping_peak:,.0f} MB",
                flush=True,
            )
        checkpoints.append((read, seconds, peak, mapping_peak))

    for system, slice_pages in _rounds(files, ROUNDS, batch_size):
        done = total.read
        origin = Origin(system, INSTANCE_OF_SYSTEM[system], "bench")
        result = load_pages(
            engine,
            origin,
            slice_pages,
            on_page=lambda so_far, done=done: checkpoint(done + so_far.read),
            workers=WORKERS,
        )
        total.merge(result)
    return {
        "read": total.read,
        "inserted": total.inserted,
        "rejected": total.rejected,
        "seconds": time.perf_counter() - start,
        "checkpoints": checkpoints,
    }


def curve(checkpoints: list[tuple], step: int) -> list[tuple[int, float, float, float]]:
    """Per ``step`` orders: (orders read at its end, its own orders/s, writer peak MB,
    mapping peak MB so far), from the per-page checkpoints."""
    rows = []
    last_read, last_seconds = 0, 0.0
    for read, seconds, peak, mapping in checkpoints:
        if read // step > last_read // step or read == checkpoints[-1][0]:
            if read > last_read and seconds > last_seconds:
                rows.append((read, (read - last_read) / (seconds - last_seconds), peak, mapping))
            last_read, last_seconds = read, seconds
    return rows


def run(url: str | None = None, n_orders: int = 10_000_000, batch_size: int = BATCH) -> Section:
    """Stream ``n_orders`` payloads into ``url`` (default: a fresh ``cp_bench_stream``)."""
    files = payload_files(n_orders)
    url = url or fresh_database("cp_bench_stream")
    seed_reference(url)
    paths = {system: str(path) for system, path in files.items()}
    loaded = in_child(_stream, url, paths, batch_size)
    step = min(BASELINE_ORDERS, max(loaded["read"] // 10, 1))
    rows = curve(loaded["checkpoints"], step)
    first, last = rows[0], rows[-1] if len(rows) > 1 else rows[0]
    _, _, peak, mapping_peak = loaded["checkpoints"][-1]
    section = Section(
        f"Streaming {loaded['read']:,} native order payloads (bench/bench_ingest_stream.py)"
    )
    section.lines = [
        f"The payload files of bench_ingest at {loaded['read']:,} orders, through the whole path "
        f"(``load_pages``) in batches of {batch_size:,} (loaded in parts of at most "
        f"{MAX_PAGE_BYTES / 2**20:.0f} MB of payload), one writer process and {WORKERS} "
        f"mapping process(es), into a fresh database, in {ROUNDS} rounds of syncs, each a sync "
        "of every source (Shopify, Square, SAP, Salesforce) over the next slice of its file, so "
        "every step holds the same mix of sources. The curve: each step's own rate (orders read in "
        "it ÷ its seconds); peak memory: the writer's maximum RSS and the mapping processes' "
        "(VmHWM), read after every page.",
        "",
        f"{loaded['inserted']:,} inserted, {loaded['rejected']:,} rejected in "
        f"{loaded['seconds']:,.0f} s ({loaded['read'] / loaded['seconds']:,.0f} orders/s).",
        "",
        f"Last step's rate {last[1]:,.0f}/s against the first's {first[1]:,.0f}/s: "
        f"{last[1] / first[1]:.2f}× (goal ≥ 0.8×); peak memory {peak:,.0f} MB writer + "
        f"{mapping_peak:,.0f} MB mapping = {peak + mapping_peak:,.0f} MB "
        f"({(peak + mapping_peak) / GOAL_MB:.2f}× the {GOAL_MB:,} MB goal)"
        + ("." if loaded["read"] >= GOAL_ORDERS else f"; not judged at {loaded['read']:,}."),
    ]
    section.table = [
        [
            "orders read",
            "orders/s in this step",
            "ratio to the first step",
            "peak MB (writer + mapping)",
        ],
        *(
            [
                f"{read:,}",
                f"{rate:,.0f}",
                f"{rate / first[1]:.2f}",
                f"{writer:,.0f} + {mapping:,.0f}",
            ]
            for read, rate, writer, mapping in rows
        ),
    ]
    return section


if __name__ == "__main__":
    import sys

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    print(run(n_orders=size).markdown())
