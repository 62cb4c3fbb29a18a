"""Benchmark: evaluating every alert rule after an ingest batch (goal ≤ 1 s at 10M orders).

Each timed run first invalidates the analytics cache for the last day, as an ingest batch does,
then judges all active rules on their latest complete bucket (reading the rollup, judging,
recording episodes). The rule set is the one in the database plus, when asked, a standard set
named "bench · …" (a band and an S-H-ESD rule per touchpoint with orders, and one rule of each
threshold-like kind on the total), created once.

    python -m bench.bench_alerts --url postgresql+psycopg://…/db [--repeat 5] [--no-standard-rules]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import Counter

from sqlalchemy import func
from sqlalchemy import select

STANDARD_TOTAL_RULES = (
    {"metric": "revenue", "kind": "threshold", "direction": "below", "threshold": 1},
    {"metric": "revenue", "kind": "change", "grain": "week", "comparison": "yoy", "threshold": 0.5},
    {"metric": "revenue", "kind": "target_deviation", "grain": "month", "threshold": 0.2},
    {"metric": "margin_pct", "kind": "margin_below", "grain": "month"},
    {"metric": "conversion_rate", "kind": "band", "grain": "week"},
)


def _use(url: str) -> None:
    from db.settings import get_settings

    os.environ["CHANNELPERF_DATABASE_URL"] = url
    get_settings.cache_clear()


def ensure_standard_rules(url: str) -> int:
    """Create the "bench · …" rules that are missing; returns how many were created."""
    from analytics.alerts.rules import create_rule
    from analytics.alerts.rules import list_rules
    from analytics.periods import Period
    from analytics.rollup import data_range
    from analytics.rollup import rollup_sums
    from db.roles import system

    existing = {rule.name for rule in list_rules(url=url)}
    first, last = data_range(url)
    active = rollup_sums(Period(first, last), by=("touchpoint",), url=url)
    touchpoints = active.loc[active["orders"] > 0, "touchpoint"]
    wanted = [
        {
            "name": f"bench · {kind} orders {code}",
            "metric": "orders",
            "kind": kind,
            "scope_type": "touchpoint",
            "scope_code": code,
        }
        for code in touchpoints
        for kind in ("band", "shesd")
    ] + [{"name": f"bench · {r['kind']} {r['metric']} total", **r} for r in STANDARD_TOTAL_RULES]
    created = 0
    for values in wanted:
        if values["name"] not in existing:
            create_rule(values, system("bench"))
            created += 1
    return created


def run(url: str | None = None, repeat: int = 5, standard_rules: bool = True) -> dict:
    """Time the evaluation of all active rules as just after a batch; returns the figures."""
    from analytics.alerts.jobs import evaluate_rules
    from analytics.alerts.rules import list_rules
    from analytics.cache import invalidate_days
    from analytics.rollup import data_range
    from db.engine import get_engine
    from db.rollup_tables import DailyRollup
    from db.schema import SalesOrder
    from db.settings import get_settings

    url = url or get_settings().database_url
    _use(url)
    bounds = data_range(url)
    if bounds is None:
        raise SystemExit("the database has no orders; load data first")
    if standard_rules:
        ensure_standard_rules(url)
    rules = list_rules(active_only=True, url=url)
    as_of = bounds[1]
    timings = []
    outcomes: dict[str, int] = {}
    parts: dict[str, float] = {}
    for _ in range(repeat):
        invalidate_days([as_of], url)
        started = time.perf_counter()
        result = evaluate_rules(rules, as_of, url=url)
        timings.append(time.perf_counter() - started)
        outcomes = result.outcomes
        parts = {k: round(v, 3) for k, v in result.timings.items()}
    with get_engine(url).connect() as conn:
        orders = conn.execute(select(func.count()).select_from(SalesOrder.__table__)).scalar()
        rollup_rows = conn.execute(select(func.count()).select_from(DailyRollup.__table__)).scalar()
    return {
        "benchmark": "alert evaluation after a batch (all active rules)",
        "orders": orders,
        "rollup_rows": rollup_rows,
        "rules": len(rules),
        "as_of": as_of.isoformat(),
        "seconds_first": round(timings[0], 3),
        "seconds_median": round(statistics.median(timings), 3),
        "seconds_max": round(max(timings), 3),
        "goal_seconds": 1.0,
        "meets_goal": max(timings) <= 1.0,
        "outcomes": outcomes,
        "last_run_seconds_by_part": parts,
        "rules_by_kind": dict(Counter(rule.kind for rule in rules)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: CHANNELPERF_DATABASE_URL)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-standard-rules", action="store_true")
    args = parser.parse_args()
    figures = run(args.url, args.repeat, not args.no_standard_rules)
    for key, value in figures.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
