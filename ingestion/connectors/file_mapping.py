"""The declarative mapping of a CSV / JSON-lines file drop: which file shape, and where each
canonical field's value comes from (see ``ingestion.connectors.files`` for the format)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

import yaml

from ingestion.canonical import CanonicalInventory
from ingestion.canonical import CanonicalOrder
from ingestion.canonical import CanonicalSpend
from ingestion.canonical import CanonicalTouch
from ingestion.canonical import CanonicalTraffic
from ingestion.errors import IngestionError

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
    """Where one field comes from: a ``column``, several ``columns`` joined with a space (a date
    and a time kept apart) or a constant ``value``; then how the text becomes a value."""

    column: str | None = None
    columns: tuple[str, ...] | None = None
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
        spec = dict(spec)
        if "columns" in spec:
            columns = spec["columns"]
            if (
                not isinstance(columns, list)
                or not columns
                or not all(isinstance(c, str) for c in columns)
            ):
                raise IngestionError(f"field {name}: columns must be a list of column names")
            spec["columns"] = tuple(columns)
        result = cls(**spec)
        given = [result.column is not None, result.columns is not None, result.value is not None]
        if sum(given) != 1:
            raise IngestionError(
                f"field {name}: give exactly one of column or value (or columns to join)"
            )
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

    @property
    def source(self) -> str | None:
        """The column(s) it reads, for messages: ``date+time`` for joined columns."""
        return "+".join(self.columns) if self.columns else self.column


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
        if not isinstance(data, Mapping):
            raise IngestionError("a mapping is a YAML mapping with kind, format and fields")
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
        if specs["line_fields"] and "units" in specs["fields"]:
            raise IngestionError("units come from the lines' qty: map units only without lines")
        return cls(kind=data["kind"], **specs, **options)

    @classmethod
    def from_text(cls, text: str) -> FileMapping:
        """A mapping from YAML text; broken YAML is an IngestionError saying where."""
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            raise IngestionError(f"the mapping is not valid YAML{where}") from None
        except ValueError as exc:  # a scalar YAML reads as a date or a time that does not exist
            raise IngestionError(f"the mapping has a value YAML cannot read: {exc}") from None
        return cls.from_dict(data)

    @classmethod
    def from_yaml(cls, path: str | Path) -> FileMapping:
        return cls.from_text(Path(path).read_text(encoding="utf-8"))
