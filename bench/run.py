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

# Sizes follow the issues' goals; BENCH_SCALE=0.1 runs everything at a tenth of the size.
SCALE = float(os.environ.get("BENCH_SCALE", "1"))


def _orders(n: int) -> int:
    return max(10_000, int(n * SCALE))


BENCHMARKS = [
    ("bench.bench_load", {"n_orders": _orders(1_000_000)}),
    ("bench.bench_ingest", {"n_orders": _orders(1_000_000), "dlt_orders": _orders(200_000)}),
    ("bench.bench_overview", {"n_orders": _orders(10_000_000)}),
    # Reuses the database bench_overview built (same order count).
    ("bench.bench_pages", {"n_orders": _orders(10_000_000)}),
]


def _figures(title: str, figures: dict) -> str:
    rows = [
        f"| {k} | {v:.3f} |" if isinstance(v, float) else f"| {k} | {v} |"
        for k, v in figures.items()
        if not isinstance(v, (dict, list))
    ]
    return f"## {title}\n\n| figure | value |\n|---|---|\n" + "\n".join(rows) + "\n"


# Benchmarks over the large database the Overview benchmark builds: (module, render).
ON_LARGE_DATABASE = [
    (
        "bench.bench_alerts",
        lambda m, url: _figures(
            "Alert evaluation for all rules after a batch (bench/bench_alerts.py)", m.run(url)
        ),
    ),
    (
        "bench.bench_api",
        lambda m, url: (
            "## Metrics API (bench/bench_api.py)\n\n" + m.as_markdown(m.run(url, seconds=15)) + "\n"
        ),
    ),
    ("bench.bench_forecast", lambda m, url: m.markdown(m.run(url)) + "\n"),
]


def main() -> int:
    sections = []
    failed = 0

    def record(label: str, make_text) -> None:
        """Run one benchmark; its section, or its failure, goes into the results."""
        nonlocal failed
        print(f"== {label}", flush=True)
        try:
            text = make_text()
        except Exception:
            failed += 1
            trace = traceback.format_exc()
            print(trace, file=sys.stderr)
            name = label.split()[0]
            sections.append(f"## {name}\n\nFailed:\n\n```\n{trace[-1500:]}\n```\n")
            return
        print(text, flush=True)
        sections.append(text)

    for module_name, kwargs in BENCHMARKS:
        record(
            f"{module_name} {kwargs}",
            lambda n=module_name, k=kwargs: importlib.import_module(n).run(**k).markdown(),
        )
    from bench.bench_overview import NAME
    from bench.common import database_url

    for module_name, render in ON_LARGE_DATABASE:
        record(
            f"{module_name} on {NAME}",
            lambda n=module_name, r=render: r(importlib.import_module(n), database_url(NAME)),
        )
    header = (
        f"# Benchmark results\n\nRun {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC} on "
        f"{platform.node()} ({os.cpu_count()} cores), `make bench`"
        f"{f' with BENCH_SCALE={SCALE:g}' if SCALE != 1 else ''}.\n\n"
    )
    RESULTS.write_text(header + "\n".join(sections))
    print(f"Wrote {RESULTS}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
