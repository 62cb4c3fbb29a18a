"""The value shapes the columnar path takes as they are: anything pydantic would change or
refuse raises Unusual, and that row goes through the per-record path."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ingestion.canonical import ISO_4217_MINOR_UNITS

TEXT_KEY = ("source_system", "source_instance", "source_order_id")
ORDER_MONEY = ("subtotal", "discount", "tax", "shipping", "total")
LINE_MONEY = ("unit_price", "discount", "line_total", "unit_cost")
ORDER_FIELDS = frozenset(
    {
        *TEXT_KEY,
        "source_version",
        "source_updated_at",
        "ordered_at",
        "touchpoint_fields",
        "location_code",
        "region_code",
        "customer_key",
        "status",
        "currency",
        *ORDER_MONEY,
        "taxes_included",
        "fx_rate",
        "region_key",
        "units",
        "lines",
        "refunds",
        "payload",
        "payload_sha256",
    }
)
LINE_FIELDS = frozenset({"line_no", "sku", "qty", *LINE_MONEY})
REFUND_FIELDS = frozenset({"source_refund_id", "refunded_at", "amount"})
STATUSES = frozenset({"open", "completed", "cancelled", "refunded"})
ZERO = Decimal(0)


class Unusual(Exception):
    """A value outside the common shape: the row takes the per-record path."""


def _text(value: Any) -> str:
    """Text pydantic keeps as it is: a non-empty str without surrounding whitespace (or NUL)."""
    if type(value) is not str or not value or value != value.strip() or "\x00" in value:
        raise Unusual
    return value


def _optional_text(value: Any) -> str | None:
    if value is not None and (type(value) is not str or "\x00" in value):
        raise Unusual
    return value


def _count(value: Any) -> int:
    if type(value) is not int or not -(2**62) < value < 2**62:
        raise Unusual
    return value


def _optional_count(value: Any, lines: list) -> int | None:
    """An order's own units: None, or a count of an order without lines."""
    if value is None:
        return None
    if lines or type(value) is not int or not 0 <= value < 2**31:
        raise Unusual
    return value


def _aware(value: Any) -> dt.datetime:
    if type(value) is not dt.datetime or value.utcoffset() is None:
        raise Unusual
    return value


def _money(value: Any) -> Decimal:
    if type(value) is not Decimal:
        raise Unusual
    return value


class Columns:
    """The page's orders as columns, lines and refunds flattened beside them."""

    def __init__(self) -> None:
        self.orders: dict[str, list] = {name: [] for name in ORDER_FIELDS - {"lines", "refunds"}}
        self.lines: dict[str, list] = {name: [] for name in (*LINE_FIELDS, "order")}
        self.refunds: dict[str, list] = {name: [] for name in (*REFUND_FIELDS, "order")}

    def __len__(self) -> int:
        return len(self.orders["source_order_id"])

    def append(self, row: dict[str, Any], lines: list[dict], refunds: list[dict]) -> None:
        position = len(self)
        for name, value in row.items():
            self.orders[name].append(value)
        for line in lines:
            for name in LINE_FIELDS:
                self.lines[name].append(line[name])
            self.lines["order"].append(position)
        for refund in refunds:
            for name in REFUND_FIELDS:
                self.refunds[name].append(refund[name])
            self.refunds["order"].append(position)


def validated(order) -> tuple[dict[str, Any], list[dict], list[dict]]:
    """A CanonicalOrder's row, lines and refunds."""
    values = order.model_dump()
    row = {name: values[name] for name in ORDER_FIELDS - {"lines", "refunds"}}
    return row, values["lines"], values["refunds"]


def checked(order: dict[str, Any]) -> tuple[dict[str, Any], list[dict], list[dict]]:
    """An unvalidated order's row, lines and refunds as pydantic would keep them; Unusual for a
    shape pydantic would refuse or change."""
    if not ORDER_FIELDS.issuperset(order):
        raise Unusual
    lines = [_line(line) for line in order.get("lines") or ()]
    refunds = [_refund(refund) for refund in order.get("refunds") or ()]
    fields = order["touchpoint_fields"]
    if type(fields) is not dict or not all(
        type(v) is str and "\x00" not in v for v in fields.values()
    ):
        raise Unusual
    if order["status"] not in STATUSES or order["currency"] not in ISO_4217_MINOR_UNITS:
        raise Unusual
    if type(order.get("taxes_included", False)) is not bool:
        raise Unusual
    if order.get("fx_rate") is not None or type(order.get("payload")) is not dict:
        raise Unusual
    row = {
        **{name: _text(order[name]) for name in TEXT_KEY},
        "source_version": _count(order["source_version"]),
        "source_updated_at": _aware(order["source_updated_at"]),
        "ordered_at": _aware(order["ordered_at"]),
        "touchpoint_fields": fields,
        **{
            name: _optional_text(order.get(name))
            for name in ("location_code", "region_code", "customer_key", "region_key")
        },
        "status": order["status"],
        "currency": order["currency"],
        **{name: _money(order.get(name, ZERO)) for name in ORDER_MONEY},
        "taxes_included": order.get("taxes_included", False),
        "fx_rate": None,
        "units": _optional_count(order.get("units"), lines),
        "payload": order["payload"],
        "payload_sha256": order["payload_sha256"],
    }
    return row, lines, refunds


def _line(line: Any) -> dict[str, Any]:
    if type(line) is not dict or not LINE_FIELDS.issuperset(line):
        raise Unusual
    return {
        "line_no": _count(line["line_no"]),
        "sku": _text(line["sku"]),
        "qty": _count(line["qty"]),
        **{name: _money(line.get(name, ZERO)) for name in LINE_MONEY},
    }


def _refund(refund: Any) -> dict[str, Any]:
    if type(refund) is not dict or not REFUND_FIELDS.issuperset(refund):
        raise Unusual
    return {
        "source_refund_id": _text(refund["source_refund_id"]),
        "refunded_at": _aware(refund["refunded_at"]),
        "amount": _money(refund["amount"]),
    }
