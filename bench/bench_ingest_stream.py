"""Streaming 10M native order payloads through the whole ingest path: memory stays flat.

The same JSON-lines payload files as ``bench_ingest`` (Shopify, Square, SAP, Salesforce),
at ten million orders, loaded once through ``ingestion.sync.load_pages`` in a child process
into a fresh database. After every page the child records how many payloads it has read and
its peak resident memory so far. The baseline is the same process's peak after its first
million orders: a streamed load holds a few pages at a time, so the peak at the end should
be that one (ratio ≈ 1), not ten times it.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

from bench.bench_ingest import BATCH, in_child, pages, payload_files, seed_reference
from bench.common import Section, fresh_database

BASELINE_ORDERS = 1_000_000
GOAL_MB = 1024
GOAL_ORDERS = 9_900_000  # the generator yields about, not exactly, the orders asked
PROGRESS_EVERY = 500_000  # orders between progress lines: a 10M run takes an hour or more


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stream(url: str, files: dict[str, str], batch_size: int) -> dict:
    """Every file through ``load_pages``; counts, seconds and (read, peak MB) per page."""
    from db.engine import get_engine
    from ingestion.demo.load import INSTANCE_OF_SYSTEM
    from ingestion.sync import Origin, SyncResult, load_pages

    engine = get_engine(url)
    total = SyncResult()
    checkpoints: list[tuple[int, float]] = []
    start = time.perf_counter()

    def checkpoint(read: int) -> None:
        peak = _peak_mb()
        if checkpoints and read // PROGRESS_EVERY > checkpoints[-1][0] // PROGRESS_EVERY:
            seconds = time.perf_counter() - start
            print(
                f"  {read:,} orders read in {seconds:,.0f} s ({read / seconds:,.0f}/s), "
                f"peak {peak:,.0f} MB",
                flush=True,
            )
        checkpoints.append((read, peak))

    for system, path in files.items():
        done = total.read
        origin = Origin(system, INSTANCE_OF_SYSTEM[system], "bench")
        result = load_pages(
            engine,
            origin,
            pages(Path(path), batch_size),
            on_page=lambda so_far, done=done: checkpoint(done + so_far.read),
        )
        total.merge(result)
    return {
        "read": total.read,
        "inserted": total.inserted,
        "rejected": total.rejected,
        "seconds": time.perf_counter() - start,
        "checkpoints": checkpoints,
    }


def run(url: str | None = None, n_orders: int = 10_000_000, batch_size: int = BATCH) -> Section:
    """Stream ``n_orders`` payloads into ``url`` (default: a fresh ``cp_bench_stream``)."""
    files = payload_files(n_orders)
    url = url or fresh_database("cp_bench_stream")
    seed_reference(url)
    paths = {system: str(path) for system, path in files.items()}
    loaded = in_child(_stream, url, paths, batch_size)
    checkpoints = loaded["checkpoints"]
    baseline_at = min(BASELINE_ORDERS, loaded["read"] // 10)
    baseline = next(mb for read, mb in checkpoints if read >= baseline_at)
    peak = checkpoints[-1][1]
    section = Section(
        f"Streaming {loaded['read']:,} native order payloads (bench/bench_ingest_stream.py)"
    )
    section.lines = [
        f"The payload files of bench_ingest at {loaded['read']:,} orders, through the whole path "
        f"(``load_pages``) in batches of {batch_size:,}, one worker process, into a fresh "
        "database. Peak memory: maximum RSS of the loading process, read after every page; "
        f"baseline: the same process's peak after its first {baseline_at:,} orders.",
        "",
        f"{loaded['inserted']:,} inserted, {loaded['rejected']:,} rejected.",
    ]
    section.table = [
        ["orders read", "seconds", "orders/s", "peak memory MB", "ratio to baseline peak"],
        [
            f"{baseline_at:,} (baseline)",
            "–",
            "–",
            f"{baseline:,.0f}",
            "1.00",
        ],
        [
            f"{loaded['read']:,}",
            f"{loaded['seconds']:.0f}",
            f"{loaded['read'] / loaded['seconds']:,.0f}",
            f"{peak:,.0f}",
            f"{peak / baseline:.2f}",
        ],
    ]
    section.lines.append(
        f"\nGoal (10M orders, streamed): peak ≤ {GOAL_MB:,} MB; "
        + (
            f"{'met' if peak <= GOAL_MB else 'not met'} ({peak:,.0f} MB)."
            if loaded["read"] >= GOAL_ORDERS
            else f"not judged at {loaded['read']:,} orders (peak {peak:,.0f} MB)."
        )
    )
    return section


if __name__ == "__main__":
    import sys

    size = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    print(run(n_orders=size).markdown())
