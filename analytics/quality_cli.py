"""`channelperf validate`, `channelperf audit …` and `channelperf reports …`."""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from analytics.errors import AnalyticsError
from analytics.periods import Period
from analytics.quality.runner import CHECK_NAMES, run_validation
from analytics.reports.schedule import (
    WEEKDAYS,
    get_schedule,
    parse_recipients,
    schedule_reports,
    send_report,
    set_schedule,
)
from analytics.reports.summary import build_weekly_summary, last_complete_week, week_ending
from db import audit
from db.cli import fail
from db.engine import get_engine
from db.settings import get_settings

app = typer.Typer()
audit_app = typer.Typer(help="The append-only audit trail.", no_args_is_help=True)
reports_app = typer.Typer(help="The weekly executive summary.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(reports_app, name="reports")
console = Console()
errors = Console(stderr=True)
STATUS_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red"}


def _date(name: str, text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise fail(f"--{name} must be a date like 2026-06-30, got {text!r}") from None


@app.command("validate")
def validate(
    day: str = typer.Option(None, help="Day to validate (YYYY-MM-DD); default: yesterday"),
) -> None:
    """Run the daily data-integrity checks for one day and store each result.

    Exit code 1 when a check failed.
    """
    chosen = _date("day", day)
    with Progress(
        TextColumn("[bold]Validating[/bold] {task.fields[check]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("checks", total=len(CHECK_NAMES), check="")
        run = run_validation(
            chosen,
            on_check=lambda name: progress.update(task, advance=1, check=name),
        )
    table = Table(
        "check",
        "scope",
        "status",
        "observed",
        "expected",
        "message",
        title=f"Validation of {run.day} (run {run.id})",
    )
    for result in run.results:
        style = STATUS_STYLE[result.status]
        table.add_row(
            result.check,
            result.scope,
            f"[{style}]{result.status}[/{style}]",
            result.observed,
            result.expected,
            result.message,
        )
    console.print(table)
    console.print(
        f"{run.count('pass')} passed, {run.count('warn')} warned, {run.count('fail')} failed."
    )
    if run.status == "fail":
        raise typer.Exit(1)


@audit_app.command("verify")
def audit_verify(
    anchor: str = typer.Option(None, help="A hash printed by an earlier run, which must remain"),
) -> None:
    """Check the hash chain: exit 0 when intact, 1 listing each broken entry."""
    with get_engine().connect() as conn:
        problems = audit.verify(conn, anchor)
        newest = audit.head(conn)
    if problems:
        for problem in problems:
            entry = f"entry {problem.entry_id}" if problem.entry_id else "chain end"
            errors.print(f"[red]broken:[/red] {entry}: {problem.reason}")
        errors.print(f"{len(problems)} problem(s) in the audit trail.")
        raise typer.Exit(1)
    if newest is None:
        console.print("The audit trail is empty.")
        return
    console.print(f"Audit trail intact up to entry {newest[0]}; head hash {newest[1]}")


@audit_app.command("list")
def audit_list(
    actor: str = typer.Option(None, help="Only this user"),
    action: str = typer.Option(None, help="Only this action, e.g. user.set_role"),
    entity: str = typer.Option(None, help="Only this entity type, e.g. user"),
    since: str = typer.Option(None, help="First day (YYYY-MM-DD)"),
    until: str = typer.Option(None, help="Last day (YYYY-MM-DD)"),
    limit: int = typer.Option(100, min=1, help="At most this many entries, newest first"),
    csv_file: str = typer.Option(None, "--csv", help="Write the entries to this CSV file"),
) -> None:
    """List audit entries, newest first."""
    with get_engine().connect() as conn:
        rows = audit.entries(
            conn,
            actor=actor,
            action=action,
            entity_type=entity,
            start=_date("since", since),
            end=_date("until", until),
            limit=limit,
        )
    if csv_file:
        with Path(csv_file).open("w", newline="") as handle:
            write_entries_csv(rows, handle)
        console.print(f"Wrote {len(rows)} entries to {csv_file}.")
        return
    table = Table("id", "at (UTC)", "actor", "action", "entity", "before", "after")
    for row in rows:
        table.add_row(
            str(row["id"]),
            f"{row['at']:%Y-%m-%d %H:%M:%S}",
            row["actor"],
            row["action"],
            f"{row['entity_type']} {row['entity_id']}".strip(),
            audit._canonical(row["before"]) if row["before"] is not None else "",
            audit._canonical(row["after"]) if row["after"] is not None else "",
        )
    console.print(table)


AUDIT_CSV_COLUMNS = (
    "id",
    "at",
    "actor",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
    "hash",
)


def write_entries_csv(rows: list[dict], handle) -> None:
    writer = csv.writer(handle)
    writer.writerow(AUDIT_CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                audit._canonical(row[c])
                if c in ("before", "after") and row[c] is not None
                else row[c]
                for c in AUDIT_CSV_COLUMNS
            ]
        )


def _period(week_end: str | None) -> Period:
    day = _date("week-end", week_end)
    if day is None:
        return last_complete_week(dt.datetime.now(get_settings().tz).date())
    return week_ending(day)


@reports_app.command("send")
def reports_send(
    week_end: str = typer.Option(None, help="Any day of the week to report; default: last week"),
    to: str = typer.Option(None, help="Recipients (comma-separated); default: the schedule's"),
) -> None:
    """Send the weekly executive summary now (HTML email with the PDF attached)."""
    try:
        recipients = parse_recipients(to) if to else get_schedule().recipients
        if not recipients:
            raise AnalyticsError("no recipients: pass --to or set them with `reports schedule`")
        period = _period(week_end)
        send_report(build_weekly_summary(period), recipients)
    except AnalyticsError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        errors.print(f"[red]error:[/red] sending failed: {exc}")
        raise typer.Exit(1) from None
    console.print(f"Sent the summary of {period.start} – {period.end} to {', '.join(recipients)}.")


@reports_app.command("download")
def reports_download(
    week_end: str = typer.Option(None, help="Any day of the week to report; default: last week"),
    output: str = typer.Option(None, "--output", "-o", help="PDF file; default: in this folder"),
) -> None:
    """Write the weekly executive summary as a PDF."""
    from analytics.reports.mailer import pdf_filename
    from analytics.reports.pdf import render_pdf

    summary = build_weekly_summary(_period(week_end))
    path = Path(output or pdf_filename(summary))
    path.write_bytes(render_pdf(summary))
    console.print(f"Wrote {path}.")


@reports_app.command("schedule")
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
                actor="cli",
            )
        except AnalyticsError as exc:
            raise fail(str(exc)) from None
    console.print(f"Weekly summary: {current.describe()}")
    console.print(f"Recipients: {', '.join(current.recipients) or '(none)'}")
    if run:
        try:
            scheduler = schedule_reports()
        except AnalyticsError as exc:
            raise fail(str(exc)) from None
        console.print("Cron scheduler running (Ctrl-C to stop).")
        scheduler.start()


if __name__ == "__main__":
    app(sys.argv[1:])
