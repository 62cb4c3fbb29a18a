"""What the commands share: reading a table file, writing a frame, failing with one line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console

from analytics.errors import AnalyticsError

stderr = Console(stderr=True)


class OutputFormat(StrEnum):
    csv = "csv"
    json = "json"


@contextmanager
def clear_errors() -> Iterator[None]:
    """Expected failures end the command with their reason on one line and exit code 2."""
    try:
        yield
    except AnalyticsError as exc:
        stderr.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from exc


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
