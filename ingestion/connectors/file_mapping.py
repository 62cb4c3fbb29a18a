"""The declarative mapping of a CSV / JSON-lines file drop: which file shape, and where each
canonical field's value comes from (see ``ingestion.connectors.files`` for the format)."""

from __future__ import annotations

from collections.abc import Hashable
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

import yaml
from yaml.constructor import ConstructorError

from ingestion.canonical import CanonicalInventory
from ingestion.canonical import CanonicalLine
from ingestion.canonical import CanonicalOrder
from ingestion.canonical import CanonicalSpend
from ingestion.canonical import CanonicalTouch
from ingestion.canonical import CanonicalTraffic
from ingestion.errors import IngestionError

# What the file connector derives itself and what it reads to derive it (``files._order``).
DERIVED = {"payload", "payload_sha256", "lines", "refunds", "touchpoint_fields"}
READ_TO_DERIVE = {"CanonicalOrder": {"customer_id"}}
MODELS = {
    "orders": CanonicalOrder,
    "traffic": CanonicalTraffic,
    "spend": CanonicalSpend,
    "inventory": CanonicalInventory,
    "touch": CanonicalTouch,
}
TYPES = frozenset({"str", "int", "decimal", "date", "datetime"})
MAPPINGS_DIR = Path(__file__).with_name("mappings")
# The field options whose YAML must be of one type, and how a message names it.
OPTION_TYPES = {
    "column": (str, "a column name"),
    "type": (str, "text"),
    "format": (str, "text"),
    "timezone": (str, "an IANA time zone name"),
    "minor_units": (bool, "true or false"),
    "exponent": (int, "a whole number"),
    "map": (Mapping, "a mapping of values"),
}
FILE_OPTIONS = ("format", "delimiter", "decimal_separator", "thousands_separator")
MERGE_TAG = "tag:yaml.org,2002:merge"


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader refusing a key given twice in one mapping (it would keep the last)."""

    def construct_mapping(self, node, deep=False):
        lines = {}
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # the safe loader refuses it, saying so
            if key in lines:
                problem = f"{key!r} is given twice (first at line {lines[key]})"
                raise ConstructorError(None, None, problem, key_node.start_mark)
            lines[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep)


def _names(keys: Iterable[Any]) -> list[str]:
    """Keys for a message, sorted whatever their YAML types."""
    return sorted(str(key) for key in keys)


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
            raise IngestionError(f"field {name}: unknown options {_names(unknown)}")
        spec = dict(spec)
        for option, (kind, what) in OPTION_TYPES.items():
            if spec.get(option) is not None and not isinstance(spec[option], kind):
                raise IngestionError(f"field {name}: {option} must be {what}, got {spec[option]!r}")
        if "columns" in spec:
            columns = spec["columns"]
            if (
                not isinstance(columns, list)
                or not columns
                or not all(isinstance(c, str) for c in columns)
            ):
                raise IngestionError(f"field {name}: columns must be a list of column names")
            spec["columns"] = tuple(columns)
        if spec.get("map") is not None:  # cells are text: YAML's 1 or true is the cell "1", "True"
            spec["map"] = {str(key): value for key, value in spec["map"].items()}
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
            _check_zone(name, result.timezone)
        return result

    @property
    def source(self) -> str | None:
        """The column(s) it reads, for messages: ``date+time`` for joined columns."""
        return "+".join(self.columns) if self.columns else self.column

    @property
    def read_columns(self) -> tuple[str, ...]:
        if self.columns is not None:
            return self.columns
        return () if self.column is None else (self.column,)


def _check_zone(name: str, zone: str) -> None:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # a bad key, a path, a directory
        raise IngestionError(f"field {name}: unknown time zone {zone!r}") from None


def _specs(part: str, given: Any) -> dict[str, FieldSpec]:
    if given is None:
        return {}
    if not isinstance(given, Mapping):
        raise IngestionError(f"mapping {part} must map field names to columns, got {given!r}")
    named = [name for name in given if not isinstance(name, str)]
    if named:
        raise IngestionError(f"mapping {part}: field names must be text, got {named[0]!r}")
    return {name: FieldSpec.of(name, spec) for name, spec in given.items()}


def _field_names(model) -> set[str]:
    """The fields a mapping may fill for ``model``: the model's own, less what the connector
    derives, plus what it reads to derive them (``files._order``)."""
    return (set(model.model_fields) - DERIVED) | READ_TO_DERIVE.get(model.__name__, set())


def _file_options(data: Mapping[str, Any]) -> dict[str, str]:
    options = {k: data[k] for k in FILE_OPTIONS if k in data}
    for name, value in options.items():
        if not isinstance(value, str):
            raise IngestionError(f"mapping {name} must be text, got {value!r}")
    if options.get("format", "csv") not in ("csv", "jsonl"):
        raise IngestionError(f"mapping format {options['format']!r} is not csv or jsonl")
    if len(options.get("delimiter", ",")) != 1:
        delimiter = options["delimiter"]
        raise IngestionError(f"mapping delimiter must be one character, got {delimiter!r}")
    return options


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
        kind = data.get("kind")
        if not isinstance(kind, str) or kind not in MODELS:
            raise IngestionError(f"mapping kind {kind!r} is not one of {sorted(MODELS)}")
        options = _file_options(data)
        specs = {
            part: _specs(part, data.get(part))
            for part in ("fields", "line_fields", "touchpoint_fields")
        }
        unknown = set(data) - {"kind", *specs, *options}
        if unknown:
            raise IngestionError(f"mapping has unknown keys {_names(unknown)}")
        for part, model in (("fields", MODELS[kind]), ("line_fields", CanonicalLine)):
            if stray := set(specs[part]) - _field_names(model):
                known = ", ".join(sorted(_field_names(model)))
                raise IngestionError(
                    f"mapping {part}: no field {', '.join(_names(stray))}; known: {known}"
                )
        if specs["line_fields"] and "units" in specs["fields"]:
            raise IngestionError("units come from the lines' qty: map units only without lines")
        return cls(kind=kind, **specs, **options)

    @classmethod
    def from_text(cls, text: str) -> FileMapping:
        """A mapping from YAML text; broken YAML is an IngestionError saying where and why."""
        try:
            data = yaml.load(text, Loader=_UniqueKeyLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark is not None else ""
            why = f": {exc.problem}" if getattr(exc, "problem", None) else ""
            raise IngestionError(f"the mapping is not valid YAML{where}{why}") from None
        except ValueError as exc:  # a scalar YAML reads as a date or a time that does not exist
            raise IngestionError(f"the mapping has a value YAML cannot read: {exc}") from None
        return cls.from_dict(data)

    @classmethod
    def from_yaml(cls, path: str | Path) -> FileMapping:
        return cls.from_text(mapping_text(Path(path).read_bytes()))

    @property
    def required_columns(self) -> list[str]:
        """The columns a CSV file must have: every one a field reads, unless it has a default."""
        parts = (self.fields, self.line_fields, self.touchpoint_fields)
        needed = (
            column
            for part in parts
            for spec in part.values()
            if spec.default is None
            for column in spec.read_columns
        )
        return list(dict.fromkeys(needed))


def mapping_text(data: bytes) -> str:
    """A mapping file's text; bytes that are not UTF-8 are an IngestionError saying where."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IngestionError(
            f"the mapping is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start}"
        ) from None
