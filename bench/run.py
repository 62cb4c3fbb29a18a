"""`make bench`: run every benchmark, print its figures and write bench/RESULTS.md."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import platform
import sys
import traceback
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"

# (module, keyword arguments); sizes follow the issues' goals, smaller with BENCH_QUICK=1.
QUICK = os.environ.get("BENCH_QUICK") == "1"
BENCHMARKS = [
    ("bench.bench_load", {"n_orders": 100_000 if QUICK else 1_000_000}),
    (
        "bench.bench_ingest",
        {"n_orders": 50_000 if QUICK else 1_000_000, "dlt_orders": 20_000 if QUICK else 200_000},
    ),
    ("bench.bench_overview", {"n_orders": 200_000 if QUICK else 10_000_000}),
]


def main() -> int:
    sections = []
    failed = 0
    for module_name, kwargs in BENCHMARKS:
        print(f"== {module_name} {kwargs}", flush=True)
        try:
            section = importlib.import_module(module_name).run(**kwargs)
        except Exception:
            failed += 1
            trace = traceback.format_exc()
            print(trace, file=sys.stderr)
            sections.append(f"## {module_name}\n\nFailed:\n\n```\n{trace[-1500:]}\n```\n")
            continue
        text = section.markdown()
        print(text, flush=True)
        sections.append(text)
    header = (
        f"# Benchmark results\n\nRun {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC} on "
        f"{platform.node()} ({os.cpu_count()} cores), `make bench`"
        f"{' with BENCH_QUICK=1' if QUICK else ''}.\n\n"
    )
    RESULTS.write_text(header + "\n".join(sections))
    print(f"Wrote {RESULTS}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
