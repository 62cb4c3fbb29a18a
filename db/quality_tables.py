"""Tables for data-integrity results and scheduled reports.

``dq_run`` is one `channelperf validate` run for one day; ``dq_result`` holds
each check's outcome in it. ``report_schedule`` is the admin-editable schedule
and recipients of a report; ``report_run`` records each send, unique per report
and week, so a scheduler firing twice never sends the same report twice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON
from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from db.schema import Base
from db.schema import Id
from db.schema import Timestamp

DQ_STATUSES = ("pass", "warn", "fail")


class DqRun(Base):
    __tablename__ = "dq_run"
    __table_args__ = (Index("ix_dq_run_day", "day"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    started_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    finished_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    status: Mapped[str] = mapped_column(String(10), default="pass")  # worst check status
    checks: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    warned: Mapped[int] = mapped_column(Integer, default=0)
    triggered_by: Mapped[str] = mapped_column(String(80), default="cli")


class DqResult(Base):
    __tablename__ = "dq_result"
    __table_args__ = (Index("ix_dq_result_run", "run_id"), Index("ix_dq_result_day", "day"))
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("dq_run.id", ondelete="CASCADE"))
    check_name: Mapped[str] = mapped_column(String(60))
    scope: Mapped[str] = mapped_column(String(200), default="")
    day: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))
    observed: Mapped[str] = mapped_column(String(200), default="")
    expected: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(Text, default="")


class ReportSchedule(Base):
    """When a report goes out and to whom; weekday 0 = Monday, hour in the reporting time zone."""

    __tablename__ = "report_schedule"
    report: Mapped[str] = mapped_column(String(40), primary_key=True)
    weekday: Mapped[int] = mapped_column(Integer, default=0)
    hour: Mapped[int] = mapped_column(Integer, default=7)
    recipients: Mapped[list] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    updated_by: Mapped[str | None] = mapped_column(String(80))


class ReportRun(Base):
    __tablename__ = "report_run"
    __table_args__ = (UniqueConstraint("report", "period_end", name="uq_report_run"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    report: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    sent_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    recipients: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20))  # sending | sent | failed
    error: Mapped[str | None] = mapped_column(Text)
