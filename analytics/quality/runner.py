"""Run every data-integrity check for one day and store each result (``channelperf validate``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import insert

from analytics.periods import require_over
from analytics.quality.frames import day_lines
from analytics.quality.frames import day_orders
from analytics.quality.results import CheckResult
from analytics.quality.results import worst
from analytics.quality.schemas import FRAME_CHECKS
from analytics.quality.sources import SQL_CHECKS
from analytics.quality.tolerances import Tolerances
from db.engine import get_engine
from db.quality_tables import DqResult
from db.quality_tables import DqRun
from db.settings import get_settings

CHECK_NAMES = (*FRAME_CHECKS, *SQL_CHECKS)


@dataclass(frozen=True)
class ValidationRun:
    id: int
    day: dt.date
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime
    results: list[CheckResult]

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)


def run_checks(
    conn,
    day: dt.date,
    tolerances: Tolerances,
    now: dt.datetime,
    on_check: Callable[[str], None] | None = None,
) -> list[CheckResult]:
    """Every check's results for the day, in ``CHECK_NAMES`` order; ``on_check`` after each."""
    orders, lines = day_orders(conn, day), day_lines(conn, day)
    results: list[CheckResult] = []
    for name, frame_check in FRAME_CHECKS.items():
        results.append(frame_check(day, orders, lines, tolerances))
        if on_check:
            on_check(name)
    for name, sql_check in SQL_CHECKS.items():
        results.extend(sql_check(conn, day, tolerances, now))
        if on_check:
            on_check(name)
    return results


def run_validation(
    day: dt.date | None = None,
    *,
    url: str | None = None,
    tolerances: Tolerances | None = None,
    now: dt.datetime | None = None,
    triggered_by: str = "cli",
    on_check: Callable[[str], None] | None = None,
) -> ValidationRun:
    """Validate one day (default: yesterday) and store the run with every check's result; a day
    not over yet is refused (its checks would judge part of a day against whole ones)."""
    day = day or get_settings().last_day_over(now)
    require_over(day, now)
    tolerances = tolerances or Tolerances()
    started = dt.datetime.now(dt.UTC)
    now = now or started
    engine = get_engine(url)
    with engine.connect() as conn:
        results = run_checks(conn, day, tolerances, now, on_check)
    finished = dt.datetime.now(dt.UTC)
    status = worst(r.status for r in results)
    with engine.begin() as conn:
        run_id = conn.execute(
            insert(DqRun.__table__)
            .values(
                day=day,
                started_at=started,
                finished_at=finished,
                status=status,
                checks=len(results),
                failed=sum(r.status == "fail" for r in results),
                warned=sum(r.status == "warn" for r in results),
                triggered_by=triggered_by,
            )
            .returning(DqRun.__table__.c.id)
        ).scalar_one()
        conn.execute(insert(DqResult.__table__), [r.row() | {"run_id": run_id} for r in results])
    return ValidationRun(run_id, day, status, started, finished, results)


def validate_job(day: str | None = None) -> dict:
    """The scheduled daily job (RQ): validate ``day`` (ISO date; default yesterday)."""
    run = run_validation(dt.date.fromisoformat(day) if day else None, triggered_by="schedule")
    return {"run_id": run.id, "day": run.day.isoformat(), "status": run.status}
