"""Shared benchmark plumbing: benchmark databases, timing statistics, result sections."""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

import psycopg
from sqlalchemy import text

from analytics.periods import Period
from db.engine import get_engine
from db.migrate import upgrade
from db.settings import get_settings

ADMIN_URL = os.environ.get("CHANNELPERF_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")


def database_url(name: str) -> str:
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{name}"


def use_database(url: str) -> None:
    """Make ``url`` the configured database, so after-batch hooks and caches act on it too."""
    os.environ["CHANNELPERF_DATABASE_URL"] = url
    get_settings.cache_clear()


def fresh_database(name: str) -> str:
    """Drop and recreate a benchmark database, migrate it and make it the configured one."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = database_url(name)
    upgrade(url)
    use_database(url)
    return url


def existing_orders(name: str) -> int:
    """Orders in a benchmark database, or -1 if it does not exist."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if not found:
        return -1
    with get_engine(database_url(name)).connect() as conn:
        try:
            return conn.execute(text("SELECT count(*) FROM sales_order")).scalar()
        except Exception:
            return -1


def compared_ranges(start: str, end: str) -> dict[str, tuple[dt.date, dt.date]]:
    """(first, last) day of a page's period (``now``), its prior period and last year's."""
    period = Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    return {
        name: (span.start, span.end)
        for name, span in (("now", period), ("prior", period.prior()), ("ly", period.last_year()))
    }


def timings(function: Callable[[], object], repeat: int, warmup: int = 2) -> list[float]:
    """Wall-clock milliseconds of ``repeat`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def reference_loop_ms(repeat: int = 5) -> float:
    """Median milliseconds of a fixed pure-Python loop: the machine's speed, so figures of runs
    made on different machines (or one machine at busier times) can be compared."""

    def loop() -> int:
        total = 0
        for i in range(2_000_000):
            total += i % 7
        return total

    return median(timings(loop, repeat, warmup=1))


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def median_and_p95(samples: list[float], decimals: int) -> list[str]:
    """A table's two cells for a timing: its median and its 95th percentile."""
    return [f"{median(samples):.{decimals}f}", f"{p95(samples):.{decimals}f}"]


@dataclass
class Section:
    """One benchmark's figures, printed and written to bench/RESULTS.md."""

    title: str
    lines: list[str] = field(default_factory=list)
    table: list[list[str]] = field(default_factory=list)

    def markdown(self) -> str:
        out = [f"## {self.title}", ""]
        out += self.lines
        if self.table:
            out += ["", "| " + " | ".join(self.table[0]) + " |"]
            out += ["|" + "---|" * len(self.table[0])]
            out += ["| " + " | ".join(row) + " |" for row in self.table[1:]]
        return "\n".join(out) + "\n"
