"""What every command shares: the consoles and tables, the exit on bad input, date options,
output files, table files."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from analytics.errors import AnalyticsError
from analytics.periods import FIRST_DAY
from analytics.periods import LAST_DAY
from analytics.periods import supported
from db.roles import system
from db.settings import get_settings

console = Console()
errors = Console(stderr=True)
# Whoever runs the shell holds the database credentials: commands act as the admin "cli".
ACTOR = system("cli")


class PlainTable(Table):
    """A table whose text cells are shown as they are: user data (names, values, reasons) is
    never read as markup. A cell that wants a style passes a ``rich.text.Text``."""

    def add_row(self, *cells, **options) -> None:
        super().add_row(*(Text(c) if isinstance(c, str) else c for c in cells), **options)


class OutputFormat(StrEnum):
    csv = "csv"
    json = "json"


# The options of the commands that read a table file (read_table) and write a frame (write_frame).
DataOption = Annotated[Path, typer.Option("--data", help="CSV, JSON or JSON-lines file.")]
FormatOption = Annotated[OutputFormat, typer.Option("--format", help="Output on stdout.")]


def fail(message: str) -> typer.Exit:
    """Print the reason on stderr, on one line, and return the exit (code 2) to raise."""
    errors.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
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
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise fail(f"--{name} must be a date like 2026-06-30 (YYYY-MM-DD), got {text!r}") from None
    if not supported(day):
        span = f"{FIRST_DAY} – {LAST_DAY}"
        raise fail(f"--{name} {day} is outside the days the analyses handle ({span})")
    return day


def port_option(port: int) -> int:
    if not 0 < port < 65536:
        raise fail(f"--port must be from 1 to 65535, got {port}")
    return port


def output_file(option: str, path: Path) -> Path:
    """``path`` if a file can be written there; checked before the work that fills it."""
    if path.is_dir():
        raise fail(f"{option} {path} is a directory, not a file name")
    if not path.parent.is_dir():
        raise fail(f"{option} {path}: no such directory {path.parent}")
    return path


def write_output(path: Path, data: bytes) -> None:
    """Write the whole file, or fail leaving no partial one behind."""
    try:
        handle = path.open("wb")
    except OSError as exc:
        raise fail(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with handle:
            handle.write(data)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise fail(f"cannot write {path}: {exc.strerror or exc}") from None


def redis_url() -> str:
    """The Redis that workers and schedulers need."""
    url = get_settings().redis_url
    if not url:
        raise fail("CHANNELPERF_REDIS_URL is not set; workers need Redis")
    return url


def read_table(path: Path) -> pd.DataFrame:
    """A CSV (``,`` or ``;`` separated), JSON records or JSON-lines file."""
    if not path.is_file():
        raise AnalyticsError(f"no such file: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix in (".jsonl", ".ndjson"):
            return pd.read_json(path, lines=True)
        if suffix == ".json":
            return pd.read_json(path)
        header = path.read_text(encoding="utf-8-sig").split("\n", 1)[0]
        if not header.strip():
            raise AnalyticsError(f"{path.name} is empty")
        separator = ";" if header.count(";") > header.count(",") else ","
        return pd.read_csv(path, sep=separator, encoding="utf-8-sig")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        if isinstance(exc, AnalyticsError):
            raise
        raise AnalyticsError(f"cannot read {path.name}: {str(exc).splitlines()[0]}") from None


def write_frame(frame: pd.DataFrame, output: OutputFormat) -> None:
    if output is OutputFormat.json:
        records = json.loads(frame.to_json(orient="records", double_precision=10))
        sys.stdout.write(json.dumps(records) + "\n")
    else:
        frame.to_csv(sys.stdout, index=False)
