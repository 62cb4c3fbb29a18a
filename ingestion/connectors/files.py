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

Field options: ``column`` or ``value``; ``type`` str | int | decimal | date | datetime;
``format`` (strptime) for dates; ``timezone`` (IANA) for naive datetimes; ``minor_units``
(with ``exponent``, default 2) for amounts given in cents; ``map`` to translate values
(an unmapped value is an error); ``default`` for empty cells.

For ``orders`` each row is one order line: ``line_fields`` map the line's fields, rows
are grouped by ``source_order_id``, ``touchpoint_fields`` name the raw touchpoint
fields, a ``customer_id`` field is pseudonymised into ``customer_key``, and missing
``line_no`` / ``line_total`` / ``subtotal`` / ``source_updated_at`` / ``source_version``
are derived. Refunds do not come from files.

Reading never raises for bad rows: each yields a ``RowError`` (1-based line number in
the file, the header being line 1, and the reason) and reading carries on.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from ingestion.canonical import (
    CanonicalInventory,
    CanonicalOrder,
    CanonicalSpend,
    CanonicalTouch,
    CanonicalTraffic,
    customer_key,
    parse,
    payload_sha256,
)
from ingestion.connectors import decimal_of, epoch_ms, int_of, parse_timestamp
from ingestion.connectors.kind import LoadStrategy, SourceKind
from ingestion.errors import IngestionError, MappingError

MODELS = {
    "orders": CanonicalOrder,
    "traffic": CanonicalTraffic,
    "spend": CanonicalSpend,
    "inventory": CanonicalInventory,
    "touch": CanonicalTouch,
}
TYPES = frozenset({"str", "int", "decimal", "date", "datetime"})
MAPPINGS_DIR = Path(__file__).with_name("mappings")


@dataclass(frozen=True)
class FieldSpec:
    column: str | None = None
    value: Any = None
    type: str = "str"
    format: str | None = None
    timezone: str | None = None
    minor_units: bool = False
    exponent: int = 2
    map: dict[str, Any] | None = None
    default: Any = None

    @classmethod
    def of(cls, name: str, spec: Any) -> FieldSpec:
        if isinstance(spec, str):
            return cls(column=spec)
        if not isinstance(spec, Mapping):
            raise IngestionError(f"field {name}: expected a column name or a mapping, got {spec!r}")
        unknown = set(spec) - set(cls.__dataclass_fields__)
        if unknown:
            raise IngestionError(f"field {name}: unknown options {sorted(unknown)}")
        result = cls(**spec)
        if (result.column is None) == (result.value is None):
            raise IngestionError(f"field {name}: give exactly one of column or value")
        if result.type not in TYPES:
            raise IngestionError(
                f"field {name}: type {result.type!r} is not one of {sorted(TYPES)}"
            )
        if result.timezone is not None:
            try:
                ZoneInfo(result.timezone)
            except ZoneInfoNotFoundError:
                raise IngestionError(
                    f"field {name}: unknown time zone {result.timezone!r}"
                ) from None
        return result


@dataclass(frozen=True)
class FileMapping:
    kind: str
    fields: dict[str, FieldSpec]
    format: str = "csv"
    delimiter: str = ","
    decimal_separator: str = "."
    thousands_separator: str = ""
    line_fields: dict[str, FieldSpec] = field(default_factory=dict)
    touchpoint_fields: dict[str, FieldSpec] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FileMapping:
        if data.get("kind") not in MODELS:
            raise IngestionError(
                f"mapping kind {data.get('kind')!r} is not one of {sorted(MODELS)}"
            )
        if data.get("format", "csv") not in ("csv", "jsonl"):
            raise IngestionError(f"mapping format {data.get('format')!r} is not csv or jsonl")
        specs = {
            part: {name: FieldSpec.of(name, spec) for name, spec in (data.get(part) or {}).items()}
            for part in ("fields", "line_fields", "touchpoint_fields")
        }
        options = {
            k: str(data[k])
            for k in ("format", "delimiter", "decimal_separator", "thousands_separator")
            if k in data
        }
        unknown = set(data) - {"kind", *specs, *options}
        if unknown:
            raise IngestionError(f"mapping has unknown keys {sorted(unknown)}")
        return cls(kind=data["kind"], **specs, **options)

    @classmethod
    def from_yaml(cls, path: str | Path) -> FileMapping:
        return cls.from_dict(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


@dataclass(frozen=True)
class RowError:
    row: int
    reason: str


@dataclass
class FileResult:
    records: list[Any] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


# --- reading rows ---------------------------------------------------------------------


def _rows(data: bytes, mapping: FileMapping) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    """(line number, raw row or RowError) for each data row of the file."""
    if mapping.format == "jsonl":
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
        return
    text = data.decode("utf-8-sig", errors="surrogateescape")
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=mapping.delimiter)
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


def _has_surrogate(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _convert(name: str, spec: FieldSpec, row: Mapping[str, Any], mapping: FileMapping) -> Any:
    value = spec.value if spec.column is None else row.get(spec.column)
    if isinstance(value, str):
        value = value.strip()
    if value in (None, ""):
        return spec.default
    if spec.map is not None:
        if str(value) not in spec.map:
            raise MappingError(f"{name}: {value!r} is not one of {sorted(spec.map)}")
        value = spec.map[str(value)]
    what = f"{name} ({spec.column})" if spec.column else name
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
        raise MappingError(f"{what}: {value!r} is not a timestamp") from None
    if parsed.tzinfo is None and spec.timezone:
        parsed = parsed.replace(tzinfo=ZoneInfo(spec.timezone))
    if parsed.tzinfo is None:
        return parse_timestamp(parsed.isoformat(), what)
    return parsed


def _values(specs: Mapping[str, FieldSpec], row: Mapping[str, Any], mapping: FileMapping) -> dict:
    values = {}
    for name, spec in specs.items():
        value = _convert(name, spec, row, mapping)
        if value is not None:
            values[name] = value
    return values


# --- building records -----------------------------------------------------------------


def _order(
    rows: list[tuple[int, dict[str, Any]]], mapping: FileMapping, options: dict
) -> CanonicalOrder:
    first = rows[0][1]
    data = _values(mapping.fields, first, mapping)
    data["touchpoint_fields"] = {
        k: str(v) for k, v in _values(mapping.touchpoint_fields, first, mapping).items()
    }
    raw_customer = data.pop("customer_id", None)
    if raw_customer is not None:
        data["customer_key"] = customer_key(
            data.get("source_system", ""), data.get("source_instance", ""), raw_customer
        )
    lines = []
    for index, (_, row) in enumerate(rows, start=1):
        line = _values(mapping.line_fields, row, mapping)
        line.setdefault("line_no", index)
        if (
            "line_total" not in line
            and isinstance(line.get("qty"), int)
            and isinstance(line.get("unit_price"), Decimal)
        ):
            line["line_total"] = line["qty"] * line["unit_price"] - line.get("discount", Decimal(0))
        lines.append(line)
    data["lines"] = lines
    if "subtotal" not in data and all(
        isinstance(line.get("line_total"), Decimal) for line in lines
    ):
        data["subtotal"] = sum((line["line_total"] for line in lines), Decimal(0))
    if "ordered_at" in data:
        data.setdefault("source_updated_at", data["ordered_at"])
    if isinstance(data.get("source_updated_at"), dt.datetime) and data["source_updated_at"].tzinfo:
        data.setdefault("source_version", epoch_ms(data["source_updated_at"]))
    payload = {"rows": [row for _, row in rows]}
    data["payload"] = payload
    data["payload_sha256"] = payload_sha256(payload)
    return parse(CanonicalOrder, data, **options)


def iter_file(
    data: bytes, mapping: FileMapping, *, future_tolerance: dt.timedelta | None = None
) -> Iterator[Any]:
    """Canonical records and ``RowError``s, in file order (orders: in order of first row)."""
    options = {"future_tolerance": future_tolerance}
    if mapping.kind != "orders":
        model = MODELS[mapping.kind]
        for number, row in _rows(data, mapping):
            if isinstance(row, RowError):
                yield row
                continue
            try:
                yield parse(model, _values(mapping.fields, row, mapping), **options)
            except MappingError as exc:
                yield RowError(number, str(exc))
        return
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    order_id = mapping.fields.get("source_order_id")
    if order_id is None:
        raise IngestionError("an orders mapping needs a source_order_id field")
    for number, row in _rows(data, mapping):
        if isinstance(row, RowError):
            yield row
            continue
        try:
            key = _convert("source_order_id", order_id, row, mapping)
        except MappingError as exc:
            yield RowError(number, str(exc))
            continue
        if key is None:
            yield RowError(number, "source_order_id: missing")
            continue
        groups.setdefault(str(key), []).append((number, row))
    for rows in groups.values():
        try:
            yield _order(rows, mapping, options)
        except MappingError as exc:
            yield RowError(rows[0][0], str(exc))


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
