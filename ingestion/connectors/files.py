"""CSV / JSON-lines file drops mapped to canonical records by a declarative YAML mapping.

A mapping names the target ``kind`` (orders | traffic | spend | inventory | touch), the
file ``format`` and, per canonical field, where its value comes from::

    kind: traffic
    format: csv                 # csv | jsonl
    delimiter: ";"
    decimal_separator: ","      # for decimal fields
    thousands_separator: "."
    fields:
      day: {column: Datum, type: date, format: "%d.%m.%Y"}
      location_code: Filiale                       # a bare string is a column name
      touchpoint_code: {value: physical_store}     # a constant
      footfall: {column: Besucher, type: int, default: 0}
      source_system: {value: footfall-counter}

Field options: ``column``, ``columns`` (several cells joined with a space: a date and a
time in two columns, parsed with one ``format``) or ``value``; ``type`` str | int | decimal |
date | datetime; ``format`` (strptime) for dates; ``timezone`` (IANA) for naive datetimes;
``minor_units`` (with ``exponent``, default 2) for amounts given in cents; ``map`` to
translate values (an unmapped value is an error); ``default`` for empty cells.

Orders come in two shapes:

- **with lines** (``line_fields`` given): each row is one order line, rows are grouped by
  ``source_order_id``; missing ``line_no``, ``line_total`` (qty × unit price − discount),
  ``unit_price`` (from the line total), ``qty`` (1 when not mapped), ``subtotal`` (the sum
  of the lines) and ``total`` (subtotal − discount + shipping + tax, tax only when not
  included) are derived, so a line-level export needs no order-level money column;
- **without lines**: one row per order carrying its totals alone; ``subtotal`` is derived
  from ``total`` when not mapped, and ``units`` (optional, else 0) says how many items it had.

``touchpoint_fields`` name the raw touchpoint fields, a ``customer_id`` field is
pseudonymised into ``customer_key``, and missing ``source_updated_at`` / ``source_version``
are derived from ``ordered_at``. Refunds do not come from files.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ingestion.canonical import CanonicalOrder
from ingestion.canonical import customer_key
from ingestion.canonical import parse
from ingestion.canonical import payload_sha256
from ingestion.canonical_frames import check_storable
from ingestion.connectors import epoch_ms
from ingestion.connectors.file_mapping import MAPPINGS_DIR
from ingestion.connectors.file_mapping import MODELS
from ingestion.connectors.file_mapping import FieldSpec
from ingestion.connectors.file_mapping import FileMapping
from ingestion.connectors.file_rows import RowError
from ingestion.connectors.file_rows import convert
from ingestion.connectors.file_rows import read_rows
from ingestion.connectors.file_rows import values
from ingestion.connectors.kind import LoadStrategy
from ingestion.connectors.kind import SourceKind
from ingestion.errors import IngestionError
from ingestion.errors import MappingError

__all__ = [
    "KIND",
    "MAPPINGS_DIR",
    "FieldSpec",
    "FileMapping",
    "FileResult",
    "RowError",
    "iter_file",
    "iter_numbered",
    "read_file",
]
ZERO = Decimal(0)


@dataclass
class FileResult:
    records: list[Any] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _line(row: dict[str, Any], index: int, mapping: FileMapping) -> dict[str, Any]:
    line = values(mapping.line_fields, row, mapping)
    line.setdefault("line_no", index)
    if "qty" not in mapping.line_fields:
        line["qty"] = 1
    qty, price, total = line.get("qty"), line.get("unit_price"), line.get("line_total")
    discount = line.get("discount", ZERO)
    if total is None and isinstance(qty, int) and isinstance(price, Decimal):
        line["line_total"] = qty * price - discount
    elif price is None and isinstance(total, Decimal) and isinstance(qty, int) and qty > 0:
        line["unit_price"] = (total + discount) / qty
    return line


def _amounts(data: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    """Derive the order's missing subtotal and total from its lines or from each other."""
    extra = data.get("shipping", ZERO) - data.get("discount", ZERO)
    if not data.get("taxes_included", False):
        extra += data.get("tax", ZERO)
    if "subtotal" not in data:
        if lines and all(isinstance(line.get("line_total"), Decimal) for line in lines):
            data["subtotal"] = sum((line["line_total"] for line in lines), ZERO)
        elif not lines and isinstance(data.get("total"), Decimal):
            data["subtotal"] = data["total"] - extra
    if "total" not in data and isinstance(data.get("subtotal"), Decimal):
        data["total"] = data["subtotal"] + extra


def _order(rows: list[tuple[int, dict[str, Any]]], mapping: FileMapping, options: dict):
    first = rows[0][1]
    data = values(mapping.fields, first, mapping)
    data["touchpoint_fields"] = {
        k: str(v) for k, v in values(mapping.touchpoint_fields, first, mapping).items()
    }
    raw_customer = data.pop("customer_id", None)
    if raw_customer is not None:
        data["customer_key"] = customer_key(
            data.get("source_system", ""), data.get("source_instance", ""), raw_customer
        )
    if mapping.line_fields:
        data["lines"] = [_line(row, i, mapping) for i, (_, row) in enumerate(rows, start=1)]
    elif len(rows) > 1:
        numbers = ", ".join(str(number) for number, _ in rows[:5])
        raise MappingError(
            f"source_order_id {data.get('source_order_id')!r} is on {len(rows)} rows "
            f"(lines {numbers}) but the mapping has no line_fields: one row per order"
        )
    _amounts(data, data.get("lines", []))
    if "ordered_at" in data:
        data.setdefault("source_updated_at", data["ordered_at"])
    if isinstance(data.get("source_updated_at"), dt.datetime) and data["source_updated_at"].tzinfo:
        data.setdefault("source_version", epoch_ms(data["source_updated_at"]))
    payload = {"rows": [row for _, row in rows]}
    data["payload"] = payload
    data["payload_sha256"] = payload_sha256(payload)
    return _storable(parse(CanonicalOrder, data, **options))


def _storable(record: Any) -> Any:
    check_storable(record)
    return record


def _records(data: bytes, mapping: FileMapping, options: dict) -> Iterator[tuple[int, Any]]:
    model = MODELS[mapping.kind]
    for number, row in read_rows(data, mapping):
        if isinstance(row, RowError):
            yield number, row
            continue
        try:
            yield number, _storable(parse(model, values(mapping.fields, row, mapping), **options))
        except MappingError as exc:
            yield number, RowError(number, str(exc))


def iter_numbered(
    data: bytes, mapping: FileMapping, *, future_tolerance: dt.timedelta | None = None
) -> Iterator[tuple[int, Any]]:
    """(line, canonical record or ``RowError``), in file order; an order is on the line of its
    first row, in order of first rows, and its ``RowError`` names its order id when known."""
    options = {"future_tolerance": future_tolerance}
    if mapping.kind != "orders":
        yield from _records(data, mapping, options)
        return
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    order_id = mapping.fields.get("source_order_id")
    if order_id is None:
        raise IngestionError("an orders mapping needs a source_order_id field")
    for number, row in read_rows(data, mapping):
        if isinstance(row, RowError):
            yield number, row
            continue
        try:
            key = convert("source_order_id", order_id, row, mapping)
        except MappingError as exc:
            yield number, RowError(number, str(exc))
            continue
        if key is None:
            yield number, RowError(number, "source_order_id: missing")
            continue
        groups.setdefault(str(key), []).append((number, row))
    for key, rows in groups.items():
        first = rows[0][0]
        try:
            yield first, _order(rows, mapping, options)
        except MappingError as exc:
            yield first, RowError(first, str(exc), record_key=key)


def iter_file(
    data: bytes, mapping: FileMapping, *, future_tolerance: dt.timedelta | None = None
) -> Iterator[Any]:
    """Canonical records and ``RowError``s, in file order (orders: in order of first row)."""
    for _, item in iter_numbered(data, mapping, future_tolerance=future_tolerance):
        yield item


def read_file(
    path: str | Path, mapping: FileMapping, *, future_tolerance: dt.timedelta | None = None
) -> FileResult:
    """Every canonical record of a file, and every row that could not become one."""
    result = FileResult()
    for item in iter_file(Path(path).read_bytes(), mapping, future_tolerance=future_tolerance):
        (result.errors if isinstance(item, RowError) else result.records).append(item)
    return result


# A file source reads the drops in its directory (``base_url``) through ``options.mapping``.
KIND = SourceKind("file", LoadStrategy.FILES)
