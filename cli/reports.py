"""`channelperf reports …`: the weekly executive summary."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape

from analytics.errors import AnalyticsError
from analytics.mail import SmtpSettings
from analytics.periods import Period
from analytics.reports.schedule import WEEKDAYS
from analytics.reports.schedule import get_schedule
from analytics.reports.schedule import parse_recipients
from analytics.reports.schedule import schedule_reports
from analytics.reports.schedule import send_report
from analytics.reports.schedule import set_schedule
from analytics.reports.summary import build_weekly_summary
from analytics.reports.summary import last_complete_week
from analytics.reports.summary import week_ending
from cli.common import ACTOR
from cli.common import console
from cli.common import date_option
from cli.common import errors
from cli.common import fail
from cli.common import failing_on
from cli.common import output_file
from cli.common import write_output
from db.settings import get_settings

app = typer.Typer(name="reports", help="The weekly executive summary.", no_args_is_help=True)


def _period(week_end: str | None) -> Period:
    day = date_option("week-end", week_end)
    if day is None:
        return last_complete_week(dt.datetime.now(get_settings().tz).date())
    return week_ending(day)


@app.command("send")
def reports_send(
    week_end: str = typer.Option(None, help="Any day of the week to report; default: last week"),
    to: str = typer.Option(None, help="Recipients (comma-separated); default: the schedule's"),
) -> None:
    """Send the weekly executive summary now (HTML email with the PDF attached)."""
    smtp = _smtp()
    try:
        recipients = parse_recipients(to) if to else get_schedule().recipients
        if not recipients:
            raise AnalyticsError("no recipients: pass --to or set them with `reports schedule`")
        period = _period(week_end)
        send_report(build_weekly_summary(period), recipients, smtp)
    except AnalyticsError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        errors.print(f"[red]error:[/red] sending failed: {escape(str(exc))}")
        raise typer.Exit(1) from None
    sent_to = escape(", ".join(recipients))
    console.print(f"Sent the summary of {period.start} – {period.end} to {sent_to}.")


def _smtp() -> SmtpSettings:
    """The mail settings, when they name a server to send through."""
    try:
        smtp = SmtpSettings()
    except ValidationError as error:
        problem = error.errors()[0]
        raise fail(f"CHANNELPERF_SMTP_{str(problem['loc'][0]).upper()}: {problem['msg']}") from None
    if not smtp.host:
        raise fail("no SMTP server configured: set CHANNELPERF_SMTP_HOST, or `reports download`")
    return smtp


@app.command("download")
def reports_download(
    week_end: str = typer.Option(None, help="Any day of the week to report; default: last week"),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="PDF file; default: in this folder")
    ] = None,
) -> None:
    """Write the weekly executive summary as a PDF."""
    from analytics.reports.mailer import pdf_filename
    from analytics.reports.pdf import render_pdf

    period = _period(week_end)
    if output:
        output_file("--output", output)
    with failing_on(AnalyticsError):
        summary = build_weekly_summary(period)
    path = output or Path(pdf_filename(summary))
    write_output(path, render_pdf(summary))
    console.print(f"Wrote {escape(str(path))}.")


@app.command("schedule")
def reports_schedule(
    weekday: str = typer.Option(None, help="Day to send: monday … sunday"),
    hour: int = typer.Option(None, help="Hour to send (0–23, reporting time zone)"),
    to: str = typer.Option(None, help="Recipients, comma-separated (replaces the list)"),
    pause: bool = typer.Option(None, "--pause/--resume", help="Stop or restart sending"),
    run: bool = typer.Option(False, "--run", help="Start RQ's cron scheduler with the job"),
) -> None:
    """Show or change when the weekly summary is sent and to whom."""
    current = get_schedule()
    if any(v is not None for v in (weekday, hour, to, pause)):
        day_index = current.weekday
        if weekday is not None:
            names = [w.lower() for w in WEEKDAYS]
            if weekday.lower() not in names:
                raise fail(f"weekday must be one of {', '.join(names)}")
            day_index = names.index(weekday.lower())
        try:
            current = set_schedule(
                day_index,
                current.hour if hour is None else hour,
                current.recipients if to is None else to,
                current.enabled if pause is None else not pause,
                actor=ACTOR,
            )
        except AnalyticsError as exc:
            raise fail(str(exc)) from None
    console.print(f"Weekly summary: {current.describe()}")
    console.print(f"Recipients: {escape(', '.join(current.recipients)) or '(none)'}")
    if run:
        try:
            scheduler = schedule_reports()
        except AnalyticsError as exc:
            raise fail(str(exc)) from None
        console.print("Cron scheduler running (Ctrl-C to stop).")
        scheduler.start()
