"""The weekly report's schedule and recipients (admin-editable, audited) and sending it.

RQ's cron scheduler (``rq cron analytics.reports.cron_config``) enqueues
``send_due_reports`` every hour; the job sends when the stored weekday and hour
have come in the reporting time zone. Reading the schedule at run time means an
admin's edit applies without restarting the scheduler. Each week is claimed in
``report_run`` (unique per report and week) before sending, so a repeated or
concurrent run never sends a week twice; a failed send is retried next hour.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import insert
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from analytics.errors import AnalyticsError
from analytics.mail import SmtpSettings
from analytics.mail import send_mail
from analytics.periods import Period
from analytics.reports.mailer import build_message
from analytics.reports.summary import REPORT
from analytics.reports.summary import WeeklySummary
from analytics.reports.summary import build_weekly_summary
from analytics.reports.summary import last_complete_week
from db import audit
from db.engine import get_engine
from db.quality_tables import ReportRun
from db.quality_tables import ReportSchedule
from db.roles import Actor
from db.settings import get_settings

schedule_table = ReportSchedule.__table__
run_table = ReportRun.__table__

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
HOURLY = "0 * * * *"


@dataclass(frozen=True)
class Schedule:
    weekday: int = 0  # Monday
    hour: int = 7  # reporting time zone
    recipients: tuple[str, ...] = ()
    enabled: bool = True
    updated_at: dt.datetime | None = None
    updated_by: str | None = None

    def describe(self) -> str:
        zone = get_settings().reporting_tz
        state = "" if self.enabled else " (paused)"
        return f"{WEEKDAYS[self.weekday]}s at {self.hour:02d}:00 {zone}{state}"


def get_schedule(url: str | None = None) -> Schedule:
    with get_engine(url).connect() as conn:
        row = (
            conn.execute(select(schedule_table).where(schedule_table.c.report == REPORT))
            .mappings()
            .first()
        )
    if row is None:
        return Schedule()
    return Schedule(
        row["weekday"],
        row["hour"],
        tuple(row["recipients"] or ()),
        row["enabled"],
        row["updated_at"],
        row["updated_by"],
    )


def parse_recipients(text: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Addresses separated by commas, semicolons or new lines; refuses a malformed one."""
    items = re.split(r"[,;\s]+", text) if isinstance(text, str) else list(text)
    addresses = tuple(dict.fromkeys(a.strip().lower() for a in items if a and a.strip()))
    bad = [a for a in addresses if not EMAIL.match(a)]
    if bad:
        raise AnalyticsError(f"not an email address: {', '.join(bad)}")
    return addresses


def set_schedule(
    weekday: int,
    hour: int,
    recipients: str | list[str] | tuple[str, ...],
    enabled: bool = True,
    *,
    actor: Actor,
    url: str | None = None,
) -> Schedule:
    """Validate, store and audit the weekly report's schedule, in one transaction (admins only)."""
    actor.require("admin", "change the report schedule")
    if weekday not in range(7):
        raise AnalyticsError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday}")
    if hour not in range(24):
        raise AnalyticsError(f"hour must be 0 to 23, got {hour}")
    addresses = parse_recipients(recipients)
    if enabled and not addresses:
        raise AnalyticsError("add at least one recipient, or pause the report")
    before = get_schedule(url)
    values = {
        "weekday": weekday,
        "hour": hour,
        "recipients": list(addresses),
        "enabled": enabled,
        "updated_at": dt.datetime.now(dt.UTC),
        "updated_by": actor.name,
    }
    with get_engine(url).begin() as conn:
        exists = conn.execute(
            select(schedule_table.c.report).where(schedule_table.c.report == REPORT)
        ).first()
        if exists:
            conn.execute(
                update(schedule_table).where(schedule_table.c.report == REPORT).values(**values)
            )
        else:
            conn.execute(insert(schedule_table).values(report=REPORT, **values))
        audit.record(
            conn,
            actor.name,
            "report.schedule",
            "report",
            REPORT,
            _audit_view(before),
            _audit_view(Schedule(weekday, hour, addresses, enabled)),
        )
    return get_schedule(url)


def _audit_view(schedule: Schedule) -> dict:
    return {
        "weekday": schedule.weekday,
        "hour": schedule.hour,
        "recipients": list(schedule.recipients),
        "enabled": schedule.enabled,
    }


def recent_runs(limit: int = 20, url: str | None = None) -> list[dict]:
    """The latest weekly sends, newest week first."""
    query = select(run_table).order_by(run_table.c.period_end.desc()).limit(limit)
    with get_engine(url).connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


@dataclass(frozen=True)
class SendResult:
    period: Period
    recipients: tuple[str, ...]
    sent: bool
    reason: str = ""


def send_report(
    summary: WeeklySummary, recipients: tuple[str, ...], smtp: SmtpSettings | None = None
) -> None:
    smtp = smtp or SmtpSettings()
    send_mail(build_message(summary, list(recipients), smtp.sender), smtp)


def _claim(conn, period: Period, recipients: tuple[str, ...], now: dt.datetime) -> bool:
    """Take the week for this sender: a new claim, or a retry of a failed send."""
    try:
        with conn.begin_nested():
            conn.execute(
                insert(run_table).values(
                    report=REPORT,
                    period_start=period.start,
                    period_end=period.end,
                    sent_at=now,
                    recipients=list(recipients),
                    status="sending",
                )
            )
        return True
    except IntegrityError:
        retried = conn.execute(
            update(run_table)
            .where(
                run_table.c.report == REPORT,
                run_table.c.period_end == period.end,
                run_table.c.status == "failed",
            )
            .values(status="sending", sent_at=now, error=None)
        )
        return retried.rowcount == 1


def _finish(conn, period: Period, status: str, error: str | None = None) -> None:
    conn.execute(
        update(run_table)
        .where(run_table.c.report == REPORT, run_table.c.period_end == period.end)
        .values(status=status, error=error)
    )


def send_scheduled(
    period: Period,
    recipients: tuple[str, ...],
    url: str | None = None,
    now: dt.datetime | None = None,
    smtp: SmtpSettings | None = None,
) -> SendResult:
    """Send the week once: skipped when it was already sent (or is being sent)."""
    now = now or dt.datetime.now(dt.UTC)
    engine = get_engine(url)
    with engine.begin() as conn:
        claimed = _claim(conn, period, recipients, now)
    if not claimed:
        return SendResult(period, recipients, False, "already sent")
    try:
        send_report(build_weekly_summary(period, url, now), recipients, smtp)
    except Exception as exc:
        with engine.begin() as conn:
            _finish(conn, period, "failed", str(exc)[:2000])
        raise
    with engine.begin() as conn:
        _finish(conn, period, "sent")
    return SendResult(period, recipients, True)


def send_due_reports(now: str | dt.datetime | None = None, url: str | None = None) -> dict:
    """The hourly job: send last week's report if its weekday and hour have come."""
    if isinstance(now, str):
        now = dt.datetime.fromisoformat(now)
    now = now or dt.datetime.now(dt.UTC)
    schedule = get_schedule(url)
    local = now.astimezone(get_settings().tz)
    due = (
        schedule.enabled
        and schedule.recipients
        and local.weekday() == schedule.weekday
        and local.hour >= schedule.hour
    )
    if not due:
        return {"sent": False, "reason": "not due"}
    period = last_complete_week(local.date())
    result = send_scheduled(period, schedule.recipients, url, now)
    return {"sent": result.sent, "reason": result.reason, "week_end": period.end.isoformat()}


def schedule_reports(scheduler=None, queue: str = "default"):
    """Register the hourly report job on an RQ ``CronScheduler`` (a new one on the
    configured Redis if none is given) and return the scheduler; ``scheduler.start()`` runs it."""
    from rq.cron import CronScheduler

    from db.jobs import redis_connection

    if scheduler is None:
        url = get_settings().redis_url
        if not url:
            raise AnalyticsError("scheduling reports needs Redis (CHANNELPERF_REDIS_URL)")
        scheduler = CronScheduler(connection=redis_connection(url))
    scheduler.register(send_due_reports, queue, cron=HOURLY, name=f"report:{REPORT}")
    return scheduler
