"""`make bench`: run every benchmark, print its figures and write bench/RESULTS.md.

``python -m bench.run bench_pages bench_api`` re-runs only the named benchmarks and replaces
their sections of RESULTS.md (a section is known by the ``bench/<name>.py`` in its title),
keeping the others; the header says which were re-run when.
"""

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
    ("bench.bench_ingest_stream", {"n_orders": _orders(10_000_000)}),
    ("bench.bench_sync", {"n_orders": _orders(50_000)}),
    ("bench.bench_overview", {"n_orders": _orders(10_000_000)}),
    # Reuses the database bench_overview built (same order count).
    ("bench.bench_pages", {"n_orders": _orders(10_000_000)}),
    ("bench.bench_attribution", {"n_journeys": _orders(1_000_000)}),
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
]


# Benchmarks without a database of their own: (module, render).
STANDALONE = [
    ("bench.bench_accuracy", lambda m: m.markdown(m.run())),
    # Builds (once) and reads its own demo database, make demo's size.
    ("bench.bench_forecast", lambda m: m.markdown(m.run(_orders(300_000)))),
]


def _section_of(text: str, names: list[str]) -> str | None:
    """The benchmark (of ``names``) whose file a section's title names."""
    title = text.splitlines()[0] if text else ""
    return next((name for name in names if f"bench/{name}.py" in title), None)


def _merged(previous: str, fresh: dict[str, str], note: str) -> str:
    """``previous`` RESULTS.md with the sections of the re-run benchmarks replaced."""
    header, *sections = previous.split("\n## ")
    kept = []
    for body in sections:
        text = "## " + body.rstrip("\n") + "\n"
        name = _section_of(text, list(fresh))
        kept.append(fresh.pop(name) if name else text)
    kept.extend(fresh.values())
    return header.rstrip("\n") + f"\n{note}\n\n" + "\n".join(kept)


def main(only: list[str]) -> int:
    sections: dict[str, str] = {}
    failed = 0

    def record(module_name: str, label: str, make_text) -> None:
        """Run one benchmark; its section, or its failure, goes into the results."""
        nonlocal failed
        name = module_name.removeprefix("bench.")
        if only and name not in only:
            return
        print(f"== {label}", flush=True)
        try:
            text = make_text()
        except Exception:
            failed += 1
            trace = traceback.format_exc()
            print(trace, file=sys.stderr)
            text = f"## {name} (bench/{name}.py)\n\nFailed:\n\n```\n{trace[-1500:]}\n```\n"
        else:
            print(text, flush=True)
        sections[name] = text

    for module_name, kwargs in BENCHMARKS:
        record(
            module_name,
            f"{module_name} {kwargs}",
            lambda n=module_name, k=kwargs: importlib.import_module(n).run(**k).markdown(),
        )
    for module_name, render in STANDALONE:
        record(
            module_name,
            module_name,
            lambda n=module_name, r=render: r(importlib.import_module(n)),
        )
    from bench.bench_overview import NAME
    from bench.common import database_url
    from bench.common import reference_loop_ms

    for module_name, render in ON_LARGE_DATABASE:
        record(
            module_name,
            f"{module_name} on {NAME}",
            lambda n=module_name, r=render: r(importlib.import_module(n), database_url(NAME)),
        )
    now = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}"
    scale = f" with BENCH_SCALE={SCALE:g}" if SCALE != 1 else ""
    speed = f"reference Python loop {reference_loop_ms():.0f} ms"
    if only and RESULTS.exists():
        note = (
            f"Re-run {now}{scale} ({speed}): {', '.join(sections)} (other sections as first run)."
        )
        RESULTS.write_text(_merged(RESULTS.read_text(), sections, note))
    else:
        header = (
            f"# Benchmark results\n\nRun {now} on {platform.node()} ({os.cpu_count()} cores, "
            f"{speed}), `make bench`{scale}.\n\n"
        )
        RESULTS.write_text(header + "\n".join(sections.values()))
    print(f"Wrote {RESULTS}")
    return 1 if failed else 0


if __name__ == "__main__":
    known = [m.removeprefix("bench.") for m, _ in [*BENCHMARKS, *STANDALONE, *ON_LARGE_DATABASE]]
    chosen = sys.argv[1:]
    unknown = sorted(set(chosen) - set(known))
    if unknown:
        sys.exit(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    sys.exit(main(chosen))
