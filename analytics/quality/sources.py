"""Cross-table checks in SQL: freshness, volume and loaded counts per source, unassigned share."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import Connection
from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select

from analytics.quality.results import CheckResult
from analytics.quality.tolerances import Tolerances
from db.schema import IngestRun
from db.schema import SalesOrder
from db.schema import Touchpoint
from db.settings import get_settings

runs = IngestRun.__table__
orders = SalesOrder.__table__
touchpoint = Touchpoint.__table__

UNASSIGNED = "unassigned"

SqlCheck = Callable[[Connection, dt.date, Tolerances, dt.datetime], list[CheckResult]]


def _as_utc(stamp: dt.datetime) -> dt.datetime:
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def _orders(count: int) -> str:
    return f"{count} order" if count == 1 else f"{count} orders"


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The day in the reporting time zone, as a half-open UTC range."""
    zone = get_settings().tz
    start = dt.datetime.combine(day, dt.time(), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def check_freshness(
    conn: Connection, day: dt.date, tolerances: Tolerances, now: dt.datetime
) -> list[CheckResult]:
    """Each source's last successful ingest run must be younger than the allowed lag."""
    query = select(
        runs.c.source_system,
        func.max(case((runs.c.status == "succeeded", runs.c.finished_at))).label("last_success"),
    ).group_by(runs.c.source_system)
    allowed = tolerances.freshness_lag
    expected = f"last success within {allowed.total_seconds() / 3600:g} h"
    rows = conn.execute(query).all()
    if not rows:
        return [CheckResult("freshness", "all sources", day, "fail", "no ingest runs", expected)]
    results = []
    for source, last in sorted(rows):
        if last is None:
            results.append(
                CheckResult("freshness", source, day, "fail", "never succeeded", expected)
            )
            continue
        lag = now - _as_utc(last)
        hours = lag.total_seconds() / 3600
        status = "pass" if lag <= allowed else "warn" if lag <= 2 * allowed else "fail"
        results.append(
            CheckResult(
                "freshness",
                source,
                day,
                status,
                f"{hours:.1f} h since {_as_utc(last):%Y-%m-%d %H:%M} UTC",
                expected,
                "" if status == "pass" else f"no successful load for {hours:.1f} hours",
            )
        )
    return results


def check_volume(
    conn: Connection, day: dt.date, tolerances: Tolerances, _now: dt.datetime
) -> list[CheckResult]:
    """Orders per source × channel on the day vs the median of the same weekday in prior weeks.

    A drop beyond the tolerance fails (data is probably missing); a rise beyond it
    warns (a promotion, or data loaded twice).
    """
    history = [day - dt.timedelta(weeks=w) for w in range(1, tolerances.weeks_of_history + 1)]
    query = (
        select(
            orders.c.source_system,
            touchpoint.c.code,
            orders.c.order_day,
            func.count().label("orders"),
        )
        .join(touchpoint, touchpoint.c.id == orders.c.touchpoint_id)
        .where(orders.c.order_day.in_([day, *history]))
        .group_by(orders.c.source_system, touchpoint.c.code, orders.c.order_day)
    )
    counts: dict[tuple[str, str], dict[dt.date, int]] = defaultdict(dict)
    for source, channel, order_day, n in conn.execute(query):
        counts[(source, channel)][order_day] = n
    results = []
    for (source, channel), by_day in sorted(counts.items()):
        observed = by_day.get(day, 0)
        median = statistics.median(by_day.get(d, 0) for d in history)
        scope = f"{source} × {channel}"
        expected = (
            f"within ±{tolerances.volume_change:.0%} of {median:g} "
            f"(median of the last {len(history)} {day:%A}s)"
        )
        if median < tolerances.volume_min_median:
            results.append(
                CheckResult(
                    "volume",
                    scope,
                    day,
                    "pass",
                    _orders(observed),
                    expected,
                    f"median below {tolerances.volume_min_median:g} orders: too small to judge",
                )
            )
            continue
        change = (observed - median) / median
        status = "pass"
        if change < -tolerances.volume_change:
            status = "fail"
        elif change > tolerances.volume_change:
            status = "warn"
        message = "" if status == "pass" else f"{change:+.0%} vs the usual {day:%A}"
        results.append(
            CheckResult("volume", scope, day, status, _orders(observed), expected, message)
        )
    return results


def check_source_counts(
    conn: Connection, day: dt.date, _tolerances: Tolerances, _now: dt.datetime
) -> list[CheckResult]:
    """Records read = inserted + updated + unchanged + rejected, for the runs behind the day.

    Those are the runs that loaded the day's orders and the runs that finished on the day.
    """
    start, end = day_bounds(day)
    loaded_day = select(orders.c.ingest_run_id).where(orders.c.order_day == day).distinct()
    accounted = runs.c.inserted + runs.c.updated + runs.c.unchanged + runs.c.rejected
    query = (
        select(runs.c.id, runs.c.source_system, runs.c.read, accounted.label("accounted"))
        .where(
            runs.c.status == "succeeded",
            or_(
                runs.c.id.in_(loaded_day),
                and_(runs.c.finished_at >= start, runs.c.finished_at < end),
            ),
        )
        .order_by(runs.c.id)
    )
    by_source: dict[str, list] = defaultdict(list)
    for row in conn.execute(query):
        by_source[row.source_system].append(row)
    if not by_source:
        return [
            CheckResult(
                "source_counts", "all sources", day, "pass", "no runs", "", "no run loaded this day"
            )
        ]
    results = []
    for source, source_runs in sorted(by_source.items()):
        read = sum(r.read for r in source_runs)
        accounted_total = sum(r.accounted for r in source_runs)
        broken = [r for r in source_runs if r.read != r.accounted]
        message = "; ".join(
            f"run {r.id}: read {r.read}, loaded or rejected {r.accounted}" for r in broken[:5]
        )
        results.append(
            CheckResult(
                "source_counts",
                source,
                day,
                "fail" if broken else "pass",
                f"{accounted_total} loaded or rejected in {len(source_runs)} runs",
                f"{read} read by the source",
                message,
            )
        )
    return results


def check_unassigned_share(
    conn: Connection, day: dt.date, tolerances: Tolerances, _now: dt.datetime
) -> list[CheckResult]:
    """Share of each source's orders without a channel, over the trailing window to the day."""
    first = day - dt.timedelta(days=tolerances.unassigned_window_days - 1)
    query = (
        select(
            orders.c.source_system,
            func.count().label("orders"),
            func.sum(case((touchpoint.c.code == UNASSIGNED, 1), else_=0)).label("unassigned"),
        )
        .join(touchpoint, touchpoint.c.id == orders.c.touchpoint_id)
        .where(orders.c.order_day.between(first, day))
        .group_by(orders.c.source_system)
        .order_by(orders.c.source_system)
    )
    results = []
    for source, total, unassigned in conn.execute(query):
        share = unassigned / total
        judged = total >= tolerances.unassigned_min_orders
        status = "fail" if judged and share > tolerances.unassigned_share else "pass"
        note = "" if judged else f"fewer than {tolerances.unassigned_min_orders} orders: not judged"
        results.append(
            CheckResult(
                "unassigned_share",
                source,
                day,
                status,
                f"{share:.1%} ({unassigned} of {total} orders, {first:%d %b} – {day:%d %b})",
                f"≤ {tolerances.unassigned_share:.1%}",
                note if status == "pass" else "orders match no channel rule: review the rules",
            )
        )
    return results


SQL_CHECKS: dict[str, SqlCheck] = {
    "freshness": check_freshness,
    "volume": check_volume,
    "source_counts": check_source_counts,
    "unassigned_share": check_unassigned_share,
}
