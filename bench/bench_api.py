"""Metrics API benchmark: latency per query next to a raw GROUP BY, and 50 clients on gunicorn.

``run(url)`` issues an API token to a bench user in the given database, then
1. times each query through the app in-process (first call = cold cache, then
   warm calls) next to the equivalent raw GROUP BY over ``sales_order``;
2. serves the app with gunicorn on loopback and lets wrk hold ``clients``
   connections calling the API for ``seconds`` seconds, reporting p50 / p95 / p99
   and the error count (goal: p95 ≤ 300 ms, no errors).

    python -m bench.bench_api postgresql+psycopg://…/channelperf
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import requests
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
BENCH_USER = "bench-api"

QUERIES = {
    "revenue by channel, quarter, prior+yoy": {
        "metric": "revenue",
        "by": "channel",
        "start": "2026-01-01",
        "end": "2026-03-31",
        "compare": ["prior", "yoy"],
    },
    "aov by week, 6 months, yoy": {
        "metric": "aov",
        "by": "week",
        "start": "2025-10-01",
        "end": "2026-03-31",
        "compare": ["yoy"],
    },
    "conversion by touchpoint, year": {
        "metric": "conversion_rate",
        "by": "touchpoint",
        "start": "2025-01-01",
        "end": "2025-12-31",
        "compare": ["prior"],
    },
    "revenue by month, 3 years": {
        "metric": "revenue",
        "by": "month",
        "start": "2023-07-01",
        "end": "2026-06-30",
    },
}

# The same answers straight from the orders: the baseline the rollup should beat.
RAW_SQL = {
    "revenue by channel, quarter, prior+yoy": """
        select c.code, sum(o.revenue_base) from sales_order o
        join touchpoint t on t.id = o.touchpoint_id
        join channel_category c on c.id = t.category_id
        where o.status <> 'cancelled' and o.order_day between :start and :end
        group by c.code""",
    "aov by week, 6 months, yoy": """
        select date_trunc('week', o.order_day), sum(o.revenue_base) / count(*)
        from sales_order o
        where o.status <> 'cancelled' and o.order_day between :start and :end
        group by 1""",
    "conversion by touchpoint, year": """
        select o.touchpoint_id, count(*) from sales_order o
        where o.status <> 'cancelled' and o.order_day between :start and :end
        group by 1""",
    "revenue by month, 3 years": """
        select date_trunc('month', o.order_day), sum(o.revenue_base) from sales_order o
        where o.status <> 'cancelled' and o.order_day between :start and :end
        group by 1""",
}


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    values = np.asarray(samples_ms)
    return {
        "p50_ms": round(float(np.percentile(values, 50)), 2),
        "p95_ms": round(float(np.percentile(values, 95)), 2),
        "n": len(values),
    }


def _token(url: str) -> str:
    from db.roles import system
    from db.users import add_user
    from db.users import issue_api_token
    from db.users import list_users

    if BENCH_USER not in {u.username for u in list_users()}:
        add_user(BENCH_USER, "bench-password-not-used", "planner", system("bench"))
    return issue_api_token(BENCH_USER, system("bench"))


def _use(url: str) -> None:
    from db.settings import get_settings

    os.environ["CHANNELPERF_DATABASE_URL"] = url
    get_settings.cache_clear()


def in_process(url: str, token: str, repeats: int) -> dict[str, dict]:
    """Cold (first) and warm latency of each query through the Flask app, and the raw SQL."""
    from dashapp.app import create_app
    from db.engine import get_engine

    client = create_app().server.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    results = {}
    engine = get_engine(url)
    for name, query in QUERIES.items():
        timings = []
        for _ in range(repeats + 1):
            began = time.perf_counter()
            response = client.get("/api/v1/metrics", query_string=query, headers=headers)
            timings.append((time.perf_counter() - began) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"{name}: HTTP {response.status_code} {response.get_json()}")
        raw = []
        with engine.connect() as conn:
            for _ in range(repeats):
                began = time.perf_counter()
                conn.execute(
                    text(RAW_SQL[name]), {"start": query["start"], "end": query["end"]}
                ).all()
                raw.append((time.perf_counter() - began) * 1000)
        results[name] = {
            "api_cold_ms": round(timings[0], 2),
            "api_warm": percentiles(timings[1:]),
            "raw_group_by": percentiles(raw),
        }
    return results


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(base: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited early")
        try:
            if requests.get(f"{base}/healthz", timeout=1).ok:
                return
        except requests.RequestException:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not come up")


def _wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("the concurrent-clients run needs wrk: apt-get install wrk")
    return found


def concurrent(
    url: str, token: str, clients: int, seconds: float, workers: int, threads: int
) -> dict:
    """``clients`` concurrent API connections (wrk, on loopback) against gunicorn for ``seconds``.

    wrk is a C load generator: a Python client pool on the same two cores would spend
    the CPU the server needs and add its own GIL queueing to every latency.
    """
    port = _free_port()
    env = os.environ | {"CHANNELPERF_DATABASE_URL": url}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "dashapp.app:wsgi()",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    paths = [f"/api/v1/metrics?{urlencode(q, doseq=True)}" for q in QUERIES.values()]
    try:
        _wait_until_up(base, process)
        for path in paths:  # every query answers 200 before the load starts
            response = requests.get(base + path, headers={"Authorization": f"Bearer {token}"})
            response.raise_for_status()
        outcome = subprocess.run(
            [
                _wrk(),
                "--threads",
                "2",
                "--connections",
                str(clients),
                "--duration",
                f"{seconds:.0f}s",
                "--timeout",
                "30s",
                "--script",
                str(ROOT / "bench" / "wrk_metrics.lua"),
                base,
                "--",
                *paths,
            ],
            env=os.environ | {"BENCH_API_TOKEN": token},
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        process.terminate()
        process.wait(timeout=30)
    figures = json.loads(outcome.stdout.strip().splitlines()[-1])
    return {
        "clients": clients,
        "seconds": seconds,
        "gunicorn": f"{workers} workers × {threads} threads",
        "p50_ms": round(figures["p50_us"] / 1000, 2),
        "p95_ms": round(figures["p95_us"] / 1000, 2),
        "p99_ms": round(figures["p99_us"] / 1000, 2),
        "n": figures["requests"],
        "requests_per_s": round(figures["requests"] / (figures["duration_us"] / 1e6), 1),
        "errors": figures["status_errors"] + figures["socket_errors"],
    }


def run(
    url: str,
    repeats: int = 20,
    clients: int = 50,
    seconds: float = 20,
    workers: int = 2,
    threads: int = 8,
) -> dict:
    """All of the above for the database at ``url`` (its demo data must cover 2023-07..2026-06)."""
    _use(url)
    token = _token(url)
    return {
        "queries": in_process(url, token, repeats),
        "concurrent": concurrent(url, token, clients, seconds, workers, threads),
    }


def as_markdown(results: dict) -> str:
    lines = [
        "| query | API cold ms | API p50 ms | API p95 ms | raw GROUP BY p50 ms | raw p95 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in results["queries"].items():
        lines.append(
            f"| {name} | {r['api_cold_ms']} | {r['api_warm']['p50_ms']} | "
            f"{r['api_warm']['p95_ms']} | {r['raw_group_by']['p50_ms']} | "
            f"{r['raw_group_by']['p95_ms']} |"
        )
    c = results["concurrent"]
    lines += [
        "",
        f"{c['clients']} concurrent clients for {c['seconds']} s on gunicorn ({c['gunicorn']}): "
        f"p50 {c['p50_ms']} ms, p95 {c['p95_ms']} ms, p99 {c['p99_ms']} ms, "
        f"{c['requests_per_s']} requests/s, "
        f"{c['errors']} errors (goal: p95 ≤ 300 ms, no errors).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    outcome = run(sys.argv[1])
    print(as_markdown(outcome))
