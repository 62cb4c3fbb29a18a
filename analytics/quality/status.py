"""Reading stored validation runs: the latest run, its results, history, and a period's status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from dataclasses import field

import pandas as pd
from sqlalchemy import func
from sqlalchemy import select

from analytics.periods import Period
from db.engine import get_engine
from db.quality_tables import DqResult
from db.quality_tables import DqRun

run_table = DqRun.__table__
result_table = DqResult.__table__


def latest_run(url: str | None = None) -> dict | None:
    """The most recently finished run (any day), as a mapping, or None."""
    with get_engine(url).connect() as conn:
        row = (
            conn.execute(select(run_table).order_by(run_table.c.finished_at.desc()).limit(1))
            .mappings()
            .first()
        )
    return dict(row) if row else None


def run_results(run_id: int, url: str | None = None) -> pd.DataFrame:
    """Every result of one run: check_name, scope, day, status, observed, expected, message."""
    query = select(result_table).where(result_table.c.run_id == run_id).order_by(result_table.c.id)
    with get_engine(url).connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all())
    if frame.empty:
        return pd.DataFrame(columns=[c.name for c in result_table.columns])
    return frame


def _latest_per_day():
    """The id of the latest run for each validated day."""
    return (
        select(run_table.c.day, func.max(run_table.c.id).label("run_id"))
        .group_by(run_table.c.day)
        .subquery()
    )


def history(days: int = 90, url: str | None = None) -> pd.DataFrame:
    """Per validated day (its latest run): checks passed, warned and failed, and the status."""
    latest = _latest_per_day()
    query = (
        select(
            run_table.c.day,
            run_table.c.status,
            run_table.c.checks,
            run_table.c.warned,
            run_table.c.failed,
            run_table.c.finished_at,
        )
        .join(latest, latest.c.run_id == run_table.c.id)
        .order_by(run_table.c.day.desc())
        .limit(days)
    )
    with get_engine(url).connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all())
    if frame.empty:
        return pd.DataFrame(
            columns=["day", "status", "checks", "warned", "failed", "passed", "finished_at"]
        )
    frame["passed"] = frame["checks"] - frame["warned"] - frame["failed"]
    return frame.sort_values("day", ignore_index=True)


@dataclass(frozen=True)
class ValidationStatus:
    validated_at: dt.datetime | None  # when the latest run finished
    last_day: dt.date | None  # the latest day validated
    failed_days: dict[dt.date, list[str]] = field(default_factory=dict)  # day -> failed checks

    @property
    def ok(self) -> bool:
        return self.validated_at is not None and not self.failed_days


def validation_status(period: Period, url: str | None = None) -> ValidationStatus:
    """Whether the latest validation of each day in the period passed, and which checks failed."""
    latest = _latest_per_day()
    failed = (
        select(result_table.c.day, result_table.c.check_name)
        .join(latest, latest.c.run_id == result_table.c.run_id)
        .where(
            result_table.c.status == "fail",
            result_table.c.day.between(period.start, period.end),
        )
        .distinct()
        .order_by(result_table.c.day, result_table.c.check_name)
    )
    with get_engine(url).connect() as conn:
        validated_at, last_day = conn.execute(
            select(func.max(run_table.c.finished_at), func.max(run_table.c.day))
        ).one()
        failed_days: dict[dt.date, list[str]] = {}
        for day, check in conn.execute(failed):
            failed_days.setdefault(day, []).append(check)
    return ValidationStatus(validated_at, last_day, failed_days)
