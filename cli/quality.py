"""`channelperf validate`: the daily data-integrity checks."""

from __future__ import annotations

import typer
from rich.progress import BarColumn
from rich.progress import MofNCompleteColumn
from rich.progress import Progress
from rich.progress import TextColumn
from rich.progress import TimeElapsedColumn
from rich.text import Text

from analytics.errors import AnalyticsError
from analytics.quality.runner import CHECK_NAMES
from analytics.quality.runner import run_validation
from cli.common import PlainTable
from cli.common import console
from cli.common import date_option
from cli.common import failing_on

app = typer.Typer()
STATUS_STYLE = {"pass": "green", "warn": "yellow", "fail": "bold red"}


@app.command("validate")
def validate(
    day: str = typer.Option(None, help="Day to validate (YYYY-MM-DD); default: yesterday"),
) -> None:
    """Run the daily data-integrity checks for one day and store each result.

    Exit code 1 when a check failed.
    """
    chosen = date_option("day", day)
    with (
        failing_on(AnalyticsError),
        Progress(
            TextColumn("[bold]Validating[/bold] {task.fields[check]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress,
    ):
        task = progress.add_task("checks", total=len(CHECK_NAMES), check="")
        run = run_validation(
            chosen,
            on_check=lambda name: progress.update(task, advance=1, check=name),
        )
    table = PlainTable(
        "check",
        "scope",
        "status",
        "observed",
        "expected",
        "message",
        title=f"Validation of {run.day} (run {run.id})",
    )
    for result in run.results:
        table.add_row(
            result.check,
            result.scope,
            Text(result.status, style=STATUS_STYLE[result.status]),
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
