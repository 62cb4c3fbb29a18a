"""Reading a file drop's rows and converting their cells to typed values by a ``FieldSpec``.

Reading never raises for bad rows: each yields a ``RowError`` (1-based line number in the
file, the header being line 1, and the reason) and reading carries on.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from ingestion.connectors import decimal_of
from ingestion.connectors import int_of
from ingestion.connectors import parse_timestamp
from ingestion.connectors.file_mapping import FieldSpec
from ingestion.connectors.file_mapping import FileMapping
from ingestion.errors import IngestionError
from ingestion.errors import MappingError

HEADER_SHOWN = 20  # header names a message lists


@dataclass(frozen=True)
class RowError:
    """A row that cannot be loaded, and why; ``record_key``: the order id on it, when known."""

    row: int
    reason: str
    record_key: str | None = None


def read_rows(data: bytes, mapping: FileMapping) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    """(line number, raw row or RowError) for each data row of the file."""
    if mapping.format == "jsonl":
        yield from _json_rows(data)
        return
    reader = _csv_reader(data, mapping)
    for row in reader:
        number = reader.line_num
        if None in row:
            yield number, RowError(number, f"{len(row[None])} more cells than the header has")
            continue
        broken = [k for k, v in row.items() if v is not None and _has_surrogate(v)]
        if broken:
            yield number, RowError(number, f"invalid UTF-8 in column {broken[0]}")
            continue
        yield number, row


def check_header(data: bytes, mapping: FileMapping) -> None:
    """Refuse a CSV file lacking a column the mapping needs (JSON lines have no header)."""
    if mapping.format == "csv":
        _csv_reader(data, mapping)


def _csv_reader(data: bytes, mapping: FileMapping) -> csv.DictReader:
    text = data.decode("utf-8-sig", errors="surrogateescape")
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=mapping.delimiter)
    if reader.fieldnames is not None:  # an empty file has no rows to refuse
        _check_header(reader.fieldnames, mapping)
    return reader


def _check_header(header: list[str], mapping: FileMapping) -> None:
    """A file lacking a column the mapping needs is refused whole: its rows would all fail for
    one reason, or load without the value."""
    missing = [column for column in mapping.required_columns if column not in header]
    if missing:
        shown = ", ".join(_printable(name) for name in header[:HEADER_SHOWN])
        more = ", …" if len(header) > HEADER_SHOWN else ""
        raise IngestionError(
            f"the file lacks the mapped column(s) {', '.join(missing)} (its header: {shown}{more})"
        )


def _printable(text: str) -> str:
    """Text with its undecodable bytes as U+FFFD, to print."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _json_rows(data: bytes) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            yield number, RowError(number, f"invalid UTF-8 byte 0x{raw[exc.start]:02x}")
            continue
        except json.JSONDecodeError as exc:
            yield number, RowError(number, f"invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(row, dict):
            yield number, RowError(number, f"a JSON {type(row).__name__}, expected an object")
            continue
        yield number, row


def _has_surrogate(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _raw(spec: FieldSpec, row: Mapping[str, Any]) -> Any:
    """The cell (or the joined cells) a spec reads; None when every one is empty."""
    if spec.columns is None:
        value = spec.value if spec.column is None else row.get(spec.column)
        return value.strip() if isinstance(value, str) else value
    cells = [str(row.get(c) or "").strip() for c in spec.columns]
    return " ".join(c for c in cells if c) or None


def convert(name: str, spec: FieldSpec, row: Mapping[str, Any], mapping: FileMapping) -> Any:
    value = _raw(spec, row)
    if value in (None, ""):
        return spec.default
    if spec.map is not None:
        if str(value) not in spec.map:
            raise MappingError(f"{name}: {value!r} is not one of {sorted(spec.map)}")
        value = spec.map[str(value)]
    what = f"{name} ({spec.source})" if spec.source else name
    if spec.type == "str":
        return str(value)
    if spec.type in ("int", "decimal") and isinstance(value, str):
        if mapping.thousands_separator:
            value = value.replace(mapping.thousands_separator, "")
        value = value.replace(mapping.decimal_separator, ".")
    if spec.type == "int":
        return int_of(value, what)
    if spec.type == "decimal":
        number = decimal_of(value, what)
        return number.scaleb(-spec.exponent) if spec.minor_units else number
    if spec.type == "date":
        return _date(value, spec, what)
    return _datetime(value, spec, what)


def _date(value: Any, spec: FieldSpec, what: str) -> dt.date:
    try:
        if spec.format:
            return dt.datetime.strptime(str(value), spec.format).date()
        return dt.date.fromisoformat(str(value))
    except ValueError:
        expected = spec.format or "YYYY-MM-DD"
        raise MappingError(f"{what}: {value!r} is not a date in the format {expected}") from None


def _datetime(value: Any, spec: FieldSpec, what: str) -> dt.datetime:
    try:
        parsed = (
            dt.datetime.strptime(str(value), spec.format)
            if spec.format
            else dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        )
    except ValueError:
        expected = f" in the format {spec.format}" if spec.format else ""
        raise MappingError(f"{what}: {value!r} is not a timestamp{expected}") from None
    if parsed.tzinfo is None and spec.timezone:
        parsed = parsed.replace(tzinfo=ZoneInfo(spec.timezone))
    if parsed.tzinfo is None:
        return parse_timestamp(parsed.isoformat(), what)
    return parsed


def values(specs: Mapping[str, FieldSpec], row: Mapping[str, Any], mapping: FileMapping) -> dict:
    """Every field's typed value; fields empty in the row (and without a default) left out."""
    found = {}
    for name, spec in specs.items():
        value = convert(name, spec, row, mapping)
        if value is not None:
            found[name] = value
    return found
