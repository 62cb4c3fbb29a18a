"""What every command shares: the consoles, the exit on bad input, date options."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum

import typer
from rich.console import Console
from rich.markup import escape

from db.settings import get_settings

console = Console()
errors = Console(stderr=True)
ACTOR = "cli"


class OutputFormat(StrEnum):
    csv = "csv"
    json = "json"


def fail(message: str) -> typer.Exit:
    """Print the reason on stderr and return the exit (code 2) for the caller to raise."""
    errors.print(f"[red]error:[/red] {escape(message)}", highlight=False)
    return typer.Exit(2)


@contextmanager
def failing_on(*expected: type[Exception]) -> Iterator[None]:
    """Turn an expected failure (bad input, a refused command) into ``fail``."""
    try:
        yield
    except expected as exc:
        raise fail(str(exc)) from None


def date_option(name: str, text: str | None) -> dt.date | None:
    """The date a ``--name`` option gives (YYYY-MM-DD); None when it was left out."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise fail(f"--{name} must be a date like 2026-06-30 (YYYY-MM-DD), got {text!r}") from None


def redis_url() -> str:
    """The Redis that workers and schedulers need."""
    url = get_settings().redis_url
    if not url:
        raise fail("CHANNELPERF_REDIS_URL is not set; workers need Redis")
    return url
