"""A first draft of a file mapping from a file's header and values, for the user to edit.

It reads the delimiter (``,``, ``;`` or tab), each column's shape (integer, decimal with a
point or a comma, date or datetime in a common format, a time of day, an ISO 4217 currency
code, text) and matches column names to the canonical fields of the kind. The currency is a
column named for it, else a column of currency codes, else the base currency (which a comment
says). An orders file whose id column repeats and that has a product column is line-level
(``line_fields``); one without a product column carries its totals alone. Guesses are
guesses: the YAML says which fields it could not place, so the user fills them in before
``ingest file --dry-run``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from typing import Any

import yaml

from db.currencies import ISO_4217_CODES
from db.settings import get_settings
from ingestion.errors import IngestionError

SAMPLE_ROWS = 2000
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y", "%Y/%m/%d", "%d-%m-%Y")
TIME_FORMATS = ("%H:%M:%S", "%H:%M")
DATETIME_FORMATS = tuple(
    f"{d}{sep}{t}" for d in DATE_FORMATS for sep in (" ", "T") for t in TIME_FORMATS
)
INTEGER = re.compile(r"^-?\d+$")
POINT_DECIMAL = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
COMMA_DECIMAL = re.compile(r"^-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")

CURRENCY_NAMES = (
    "currency",
    "curr",
    "ccy",
    "währung",
    "waehrung",
    "wahrung",
    "devise",
    "moneda",
    "divisa",
    "valuta",
)
# Canonical field -> words a column name may contain (lower case, first match wins).
NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "orders": {
        "source_order_id": (
            "order_id",
            "order id",
            "orderid",
            "order",
            "booking",
            "invoice",
            "transaction",
            "receipt",
            "buchung",
            "bestellung",
            "auftrag",
            "id",
        ),
        "customer_id": ("customer", "client", "guest", "buyer"),
        "status": ("status", "state"),
        "currency": CURRENCY_NAMES,
        "subtotal": ("subtotal", "net"),
        "tax": ("tax", "vat"),
        "shipping": ("shipping", "freight", "delivery"),
        "discount": ("discount",),
        "total": (
            "total",
            "amount",
            "revenue",
            "sales",
            "value",
            "gross",
            "betrag",
            "umsatz",
            "montant",
            "price",
            "rate",
        ),
        "location_code": ("store", "shop", "branch", "location"),
        "channel": ("channel", "segment", "source", "market", "platform", "medium", "kanal"),
    },
    "lines": {
        "sku": ("sku", "product", "item", "article", "ean", "material", "artikel"),
        "qty": ("qty", "quantity", "units", "pieces", "count", "menge"),
        "unit_price": ("unit_price", "unit price", "price"),
        "line_total": ("line_total", "line total", "amount", "sales", "total", "value"),
        "discount": ("discount",),
    },
    "traffic": {
        "touchpoint_code": ("channel", "touchpoint", "source", "medium"),
        "location_code": ("store", "shop", "branch", "location"),
        "sessions": ("sessions", "visits"),
        "footfall": ("footfall", "visitors", "entries", "besucher"),
        "opportunities": ("opportunities", "leads"),
    },
    "spend": {
        "touchpoint_code": ("channel", "touchpoint", "source", "network", "platform"),
        "campaign": ("campaign",),
        "currency": CURRENCY_NAMES,
        "spend": ("spend", "cost", "amount"),
        "impressions": ("impressions", "views"),
        "clicks": ("clicks",),
    },
    "inventory": {
        "sku": ("sku", "product", "item", "article"),
        "location_code": ("store", "location", "warehouse", "site", "branch"),
        "on_hand": ("on_hand", "on hand", "stock", "qty", "quantity"),
        "on_order": ("on_order", "on order", "incoming", "ordered"),
    },
}
MONEY = frozenset(
    {"subtotal", "tax", "shipping", "discount", "total", "unit_price", "line_total", "spend"}
)
COUNTS = frozenset(
    {"qty", "sessions", "footfall", "opportunities", "impressions", "clicks", "on_hand", "on_order"}
)
KINDS = ("orders", "traffic", "spend", "inventory")


@dataclass(frozen=True)
class Column:
    name: str
    shape: str  # int | decimal | date | datetime | time | currency | text | empty
    format: str | None = None
    distinct: int = 0
    repeats: bool = False


def _parses(values: list[str], fmt: str) -> bool:
    try:
        for value in values:
            dt.datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def _shape(name: str, values: list[str], decimal_comma: bool) -> Column:
    filled = [v.strip() for v in values if v.strip()]
    distinct, repeats = len(set(filled)), len(set(filled)) < len(filled)
    column = lambda shape, fmt=None: Column(name, shape, fmt, distinct, repeats)  # noqa: E731
    if not filled:
        return column("empty")
    if all(INTEGER.match(v) for v in filled):
        return column("int")
    number = COMMA_DECIMAL if decimal_comma else POINT_DECIMAL
    if all(number.match(v) for v in filled):
        return column("decimal")
    for shape, formats in (
        ("datetime", DATETIME_FORMATS),
        ("date", DATE_FORMATS),
        ("time", TIME_FORMATS),
    ):
        for fmt in formats:
            if _parses(filled, fmt):
                return column(shape, fmt)
    if all(v in ISO_4217_CODES for v in filled):
        return column("currency")
    return column("text")


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    return max(counts, key=counts.get)


def _decimal_comma(cells: list[str], delimiter: str) -> bool:
    """Decimal commas: the file is not comma-separated and some number cell has d,dd."""
    if delimiter == ",":
        return False
    return any(re.fullmatch(r"-?[\d.]*\d,\d+", v.strip()) for v in cells)


def _thousands(cells: list[str], comma: bool) -> str:
    """The thousands separator the numbers use ("." with decimal commas, "," with points)."""
    pattern = r"-?\d{1,3}(\.\d{3})+(,\d+)?" if comma else r"-?\d{1,3}(,\d{3})+(\.\d+)?"
    if any(re.fullmatch(pattern, v.strip()) for v in cells):
        return "." if comma else ","
    return ""


def read_columns(data: bytes) -> tuple[str, bool, str, list[Column]]:
    """The delimiter, whether decimals use a comma, the thousands separator, and each column's
    shape."""
    text = data.decode("utf-8-sig", errors="replace")
    header = text.split("\n", 1)[0]
    if not header.strip():
        raise IngestionError("the file is empty: no header line")
    delimiter = _delimiter(header)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = [row for _, row in zip(range(SAMPLE_ROWS), reader, strict=False)]
    if not rows:
        raise IngestionError("the file has a header but no rows")
    names = reader.fieldnames or []
    # Only the named columns: a row with more cells than the header has the rest in a list.
    columns = {n: [r.get(n) or "" for r in rows] for n in names}
    cells = [v for values in columns.values() for v in values]
    comma = _decimal_comma(cells, delimiter)
    shapes = [_shape(n, values, comma) for n, values in columns.items()]
    return delimiter, comma, _thousands(cells, comma), shapes


def _match(field: str, words: tuple[str, ...], columns: list[Column], taken: set[str]):
    wanted = {
        "source_order_id": ("int", "text"),
        "customer_id": ("int", "text"),
        # Named for it, a column of text is the currency too (codes in lower case, or a name
        # to map): taking the base currency instead would load its amounts unconverted.
        "currency": ("currency", "text"),
        "sku": ("int", "text"),
        "campaign": ("text",),
        "status": ("text",),
        "location_code": ("int", "text"),
        "channel": ("text",),
        "touchpoint_code": ("text",),
    }.get(field, ("int",) if field in COUNTS else ("decimal", "int") if field in MONEY else ())
    for word in words:
        for column in columns:
            name = column.name.lower().strip()
            if column.name in taken or (wanted and column.shape not in wanted):
                continue
            if (
                name == word
                or word in re.split(r"[^a-z0-9]+", name)
                or (len(word) > 4 and word in name)
            ):
                return column
    return None


def _spec(column: Column, field: str) -> Any:
    if field in MONEY:
        return {"column": column.name, "type": "decimal"}
    if field in COUNTS or field == "units":
        return {"column": column.name, "type": "int"}
    return column.name


def _moment(columns: list[Column], taken: set[str], kind: str) -> dict[str, Any] | None:
    """The order time (or the day): a datetime column, else a date with a time column beside."""
    stamped = [c for c in columns if c.shape == "datetime" and c.name not in taken]
    dated = [c for c in columns if c.shape == "date" and c.name not in taken]
    times = [c for c in columns if c.shape == "time" and c.name not in taken]
    if kind != "orders":
        return _one_column((dated or stamped or [None])[0], taken, "date")
    if dated and times and not stamped:
        taken.update((dated[0].name, times[0].name))
        return {
            "columns": [dated[0].name, times[0].name],
            "type": "datetime",
            "format": f"{dated[0].format} {times[0].format}",
            "timezone": "UTC",
        }
    return _one_column((stamped or dated or [None])[0], taken, "datetime", timezone="UTC")


def _one_column(column: Column | None, taken: set[str], type_: str, **more: str):
    if column is None:
        return None
    taken.add(column.name)
    return {"column": column.name, "type": type_, "format": column.format, **more}


def _place(kind: str, columns: list[Column], taken: set[str]) -> dict[str, Any]:
    fields = {}
    for field, words in NAMES[kind].items():
        column = _match(field, words, columns, taken)
        if column is not None:
            taken.add(column.name)
            fields[field] = _spec(column, field)
    if kind == "orders":
        _fallbacks(fields, columns, taken)
    return fields


def _fallbacks(fields: dict[str, Any], columns: list[Column], taken: set[str]) -> None:
    """By values where names said nothing: an id column (the first whose values are all
    different), the one decimal column as the total."""
    free = [c for c in columns if c.name not in taken]
    guesses = {
        "source_order_id": [c for c in free if c.shape in ("int", "text") and not c.repeats][:1],
        "total": [c for c in free if c.shape == "decimal"],
    }
    for field, found in guesses.items():
        if field not in fields and len(found) == 1:
            taken.add(found[0].name)
            fields[field] = _spec(found[0], field)


def _currency(fields: dict[str, Any], columns: list[Column], taken: set[str]) -> str | None:
    """The currency where its name said nothing: the first column of ISO 4217 codes, else the
    base currency as a fixed value, with a note saying so."""
    if "currency" in fields:
        return None
    codes = [c for c in columns if c.shape == "currency" and c.name not in taken]
    if codes:
        taken.add(codes[0].name)
        fields["currency"] = codes[0].name
        return None
    base = get_settings().base_currency
    fields["currency"] = {"value": base}
    return (
        f"# No currency column found: every amount is taken to be in {base}, the base "
        "currency. If the file has one, map currency to it."
    )


def suggest_mapping(data: bytes, kind: str, source: str = "my-export") -> str:
    """A draft mapping (YAML with comments) of the file for ``kind``."""
    if kind not in KINDS:
        raise IngestionError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    delimiter, comma, thousands, columns = read_columns(data)
    taken: set[str] = set()
    moment = _moment(columns, taken, kind)
    fields = _place(kind, columns, taken)
    notes = [_currency(fields, columns, taken)] if "currency" in NAMES[kind] else []
    mapping: dict[str, Any] = {"kind": kind, "format": "csv", "delimiter": delimiter}
    if comma:
        mapping["decimal_separator"] = ","
    if thousands:
        mapping["thousands_separator"] = thousands
    parts: dict[str, Any] = {}
    if kind == "orders":
        body = {"ordered_at": moment, **_orders(fields, columns, taken, source, parts)}
    else:
        body = {"day": moment, **fields}
        if kind in ("traffic", "spend"):
            body["source_system"] = {"value": source}
    missing = [name for name, value in body.items() if value is None]
    mapping["fields"] = {name: value for name, value in body.items() if value is not None}
    mapping.update(parts)
    text = yaml.safe_dump(mapping, sort_keys=False, allow_unicode=True, width=100)
    unused = [c.name for c in columns if c.name not in taken]
    return _header(kind, missing, unused, [note for note in notes if note]) + text


def _orders(
    fields: dict[str, Any], columns: list[Column], taken: set[str], source: str, parts: dict
) -> dict[str, Any]:
    """The order fields; ``parts`` gets the touchpoint fields and, line-level, the line fields."""
    channel = fields.pop("channel", None)
    order_id = next((c for c in columns if c.name == fields.get("source_order_id")), None)
    lines = {}
    if order_id is not None and order_id.repeats:
        total = fields.get("total")
        taken.discard(total["column"] if isinstance(total, dict) else None)
        lines = _place("lines", columns, taken)
        if "line_total" in lines and "unit_price" in lines:
            del lines["line_total"]
        if "sku" in lines:
            fields.pop("total", None)  # a line-level file: the total comes from its lines
            parts["line_fields"] = lines
        elif isinstance(total, dict):
            taken.add(total["column"])
    if "line_fields" not in parts:
        units = _match("qty", NAMES["lines"]["qty"], columns, taken)
        if units is not None:
            taken.add(units.name)
            fields["units"] = _spec(units, "units")
    if channel is not None:
        parts["touchpoint_fields"] = {"channel": channel}
    fields.setdefault("status", {"value": "completed"})
    return {
        "source_system": {"value": source},
        "source_instance": {"value": "default"},
        "source_order_id": fields.pop("source_order_id", None),
        **fields,
        **({} if "line_fields" in parts or "total" in fields else {"total": None}),
    }


def _header(kind: str, missing: list[str], unused: list[str], more: list[str]) -> str:
    notes = [
        f"# A draft {kind} mapping: check every field before loading "
        "(channelperf ingest file --dry-run).",
        *more,
    ]
    if missing:
        notes.append(f"# Not found, add them: {', '.join(missing)}.")
    if unused:
        notes.append(f"# Columns not used: {', '.join(unused)}.")
    return "\n".join(notes) + "\n"
