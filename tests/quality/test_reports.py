"""The weekly executive summary: sent by SMTP as HTML with a PDF whose figures match an
independent computation; scheduled once per week; editable schedule is audited."""

from __future__ import annotations

import base64
import datetime as dt
import email
import re
import zlib
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy import text

from analytics.errors import AnalyticsError
from analytics.metrics import format_value
from analytics.periods import Period
from analytics.quality.runner import run_validation
from analytics.reports.schedule import HOURLY
from analytics.reports.schedule import get_schedule
from analytics.reports.schedule import schedule_reports
from analytics.reports.schedule import send_due_reports
from analytics.reports.schedule import send_report
from analytics.reports.schedule import set_schedule
from analytics.reports.summary import build_weekly_summary
from analytics.reports.summary import week_ending
from db.engine import get_engine
from db.quality_tables import ReportRun
from db.roles import Actor
from db.schema import AuditLog
from tests.smtp import local_smtp

ADMIN = Actor("admin", "admin")
WEEK = week_ending(dt.date(2026, 6, 24))  # Mon 22 – Sun 28 June 2026

pytestmark = pytest.mark.postgres


class Inbox:
    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, _server, _session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch):
    with local_smtp(monkeypatch, Inbox(), "reports@example.com") as inbox:
        yield inbox


def pdf_text(data: bytes) -> str:
    """The text drawn on the pages: reportlab's content streams, decoded and inflated."""
    chunks = []
    for match in re.finditer(rb"<<(.*?)>>\s*stream\r?\n(.*?)endstream", data, re.S):
        header, body = match.groups()
        if b"/Subtype /Image" in header:
            continue
        if b"ASCII85Decode" in header:
            body = base64.a85decode(body.strip(), adobe=True)
        if b"FlateDecode" in header:
            body = zlib.decompress(body)
        chunks.append(body.decode("latin-1"))
    # Text operators: (string) Tj — join the strings.
    return " ".join(re.findall(r"\((.*?)\)\s*Tj", "\n".join(chunks)))


def independent_week(url: str, period: Period) -> dict:
    """Revenue (net of tax and refunds, cancelled excluded) and orders straight from the facts."""
    with get_engine(url).connect() as conn:
        revenue, orders = conn.execute(
            text(
                "select coalesce(sum(revenue_base), 0), count(*) from sales_order "
                "where status <> 'cancelled' and order_day between :a and :b"
            ),
            {"a": period.start, "b": period.end},
        ).one()
        refunds = conn.execute(
            text(
                "select coalesce(sum(amount_base), 0) from refund "
                "where refund_day between :a and :b"
            ),
            {"a": period.start, "b": period.end},
        ).scalar_one()
    return {"revenue": Decimal(revenue) - Decimal(refunds), "orders": orders}


def test_report_email_has_html_and_pdf_with_the_kpis(quality_db, smtp):
    expected = independent_week(quality_db.url, WEEK)
    assert expected["orders"] > 0
    revenue_text = format_value(expected["revenue"], "currency", "USD")
    orders_text = format_value(expected["orders"], "count")

    send_report(build_weekly_summary(WEEK), ("ceo@example.com", "cfo@example.com"))

    (message,) = smtp.messages
    assert message["To"] == "ceo@example.com, cfo@example.com"
    assert message["From"] == "reports@example.com"
    parts = {part.get_content_type(): part for part in message.walk()}
    html = parts["text/html"].get_payload(decode=True).decode()
    assert "Weekly executive summary" in html
    assert revenue_text in html and orders_text in html
    assert "cid:revenue-chart" in html and "image/png" in parts
    pdf = parts["application/pdf"]
    assert pdf.get_filename() == "channel-performance-week-2026-06-28.pdf"
    data = pdf.get_payload(decode=True)
    assert data.startswith(b"%PDF") and b"ReportLab" in data
    assert b"/Subtype /Image" in data  # the chart
    drawn = pdf_text(data)
    assert "Weekly executive summary" in drawn
    assert revenue_text in drawn and orders_text in drawn
    assert "Top movers" in drawn and "Open and overdue alerts" in drawn


def test_top_movers_are_the_largest_revenue_changes(quality_db):
    summary = build_weekly_summary(WEEK)
    with get_engine(quality_db.url).connect() as conn:
        rows = conn.execute(
            text(
                "select t.name, sum(case when r.day >= :s then r.gross_revenue - r.refunds "
                "else 0 end) - sum(case when r.day < :s then r.gross_revenue - r.refunds "
                "else 0 end) from daily_rollup r join touchpoint t on t.id = r.touchpoint_id "
                "where r.day between :p and :e group by t.name"
            ),
            {"s": WEEK.start, "p": WEEK.prior().start, "e": WEEK.end},
        ).all()
    changes = sorted(((abs(float(c)), n) for n, c in rows if c), reverse=True)[:5]
    assert list(summary.movers["channel_name"]) == [n for _c, n in changes]


def test_a_week_or_a_day_not_over_yet_is_refused_and_nothing_is_stored(quality_db):
    sunday = dt.datetime(2026, 6, 28, 20, tzinfo=dt.UTC)  # the week's last day, not over
    with pytest.raises(AnalyticsError, match="the week 2026-06-22 – 2026-06-28 is not over yet"):
        build_weekly_summary(WEEK, now=sunday)
    assert build_weekly_summary(WEEK, now=sunday + dt.timedelta(days=1)).period == WEEK
    with get_engine(quality_db.url).connect() as conn:
        runs = conn.execute(text("SELECT count(*) FROM dq_run")).scalar()
    with pytest.raises(AnalyticsError, match="2026-06-28 is not over yet"):
        run_validation(dt.date(2026, 6, 28), now=sunday)
    with get_engine(quality_db.url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM dq_run")).scalar() == runs


def test_schedule_is_validated_and_audited(quality_db):
    with pytest.raises(AnalyticsError, match="not an email address"):
        set_schedule(0, 7, "ceo@example.com, nonsense", actor=ADMIN)
    with pytest.raises(AnalyticsError, match="hour"):
        set_schedule(0, 24, "ceo@example.com", actor=ADMIN)
    schedule = set_schedule(2, 9, "CEO@example.com\ncfo@example.com", actor=ADMIN)
    assert (schedule.weekday, schedule.hour) == (2, 9)
    assert schedule.recipients == ("ceo@example.com", "cfo@example.com")
    with get_engine(quality_db.url).connect() as conn:
        entry = (
            conn.execute(
                select(AuditLog.__table__).order_by(AuditLog.__table__.c.id.desc()).limit(1)
            )
            .mappings()
            .one()
        )
    assert (entry["actor"], entry["action"]) == ("admin", "report.schedule")
    assert entry["after"]["recipients"] == ["ceo@example.com", "cfo@example.com"]


def test_due_report_is_sent_once_per_week(quality_db, smtp):
    set_schedule(0, 7, "ceo@example.com", actor=ADMIN)  # Mondays 07:00 UTC
    monday = dt.datetime(2026, 6, 29, 6, 59, tzinfo=dt.UTC)
    assert (
        send_due_reports(
            monday,
        )["sent"]
        is False
    )  # not yet 07:00
    assert send_due_reports(monday + dt.timedelta(minutes=1))["sent"] is True
    assert send_due_reports(monday + dt.timedelta(hours=1)) == {
        "sent": False,
        "reason": "already sent",
        "week_end": "2026-06-28",
    }
    assert send_due_reports(monday + dt.timedelta(days=1))["sent"] is False  # Tuesday
    assert len(smtp.messages) == 1
    with get_engine(quality_db.url).connect() as conn:
        (run,) = conn.execute(select(ReportRun.__table__)).mappings().all()
    assert (run["period_end"], run["status"]) == (dt.date(2026, 6, 28), "sent")
    assert get_schedule().recipients == ("ceo@example.com",)


def test_schedule_reports_registers_the_hourly_job_with_rq_cron(redis_url):
    from redis import Redis
    from rq.cron import CronScheduler

    scheduler = schedule_reports(CronScheduler(connection=Redis.from_url(redis_url)))
    (job,) = scheduler.get_jobs()
    assert job.func_name == "analytics.reports.schedule.send_due_reports"
    assert job.cron == HOURLY and job.queue_name == "default"


def test_without_an_smtp_server_the_week_is_marked_failed_then_sent_once_one_is_set(
    quality_db, monkeypatch
):
    monkeypatch.delenv("CHANNELPERF_SMTP_HOST", raising=False)
    set_schedule(0, 7, "ceo@example.com", actor=ADMIN)
    monday = dt.datetime(2026, 6, 22, 8, 0, tzinfo=dt.UTC)  # the week to 21 June
    with pytest.raises(RuntimeError, match="no SMTP server configured"):
        send_due_reports(monday)
    with get_engine(quality_db.url).connect() as conn:
        (run,) = (
            conn.execute(
                select(ReportRun.__table__).where(
                    ReportRun.__table__.c.period_end == dt.date(2026, 6, 21)
                )
            )
            .mappings()
            .all()
        )
    assert run["status"] == "failed" and "CHANNELPERF_SMTP_HOST" in run["error"]

    with local_smtp(monkeypatch, Inbox()) as inbox:
        assert send_due_reports(monday + dt.timedelta(hours=1))["sent"] is True
    assert len(inbox.messages) == 1
