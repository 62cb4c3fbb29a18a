"""Columnar mapping: a page of payloads into the loader's batch, pydantic only for rule-breakers.

Each payload goes through its connector's own mapping with validation switched off (so
field semantics are the connector's, written once), then the page is checked column by
column: amounts as exact fixed-point integers (pyarrow decimals), timestamps against the
future horizon, line sums, totals, refunds, widths and the value shapes pydantic would
change or refuse. A row that breaks any rule, or that its mapping could not handle, goes
through the per-record path (``CanonicalOrder`` with pydantic), so its reject keeps the
exact reason the quarantine has always shown; a row the check was too strict for is
mapped by that path too. The batch equals ``to_order_batch(map_orders(...))`` row for row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ingestion.batch import BATCH_ORDER_COLUMNS, LINE_COLUMNS, REFUND_COLUMNS, OrderBatch
from ingestion.canonical import FUTURE_TOLERANCE, ISO_4217_MINOR_UNITS, gc_paused
from ingestion.canonical_frames import to_minor
from ingestion.mapping import ChannelRules, touchpoint_raw

MICRO = 6  # amounts are checked as integers of 10⁻⁶: exact for every currency's minor unit
MAX_MICRO = 10**12 * 10**MICRO  # larger amounts take the per-record path
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
    """Text pydantic keeps as it is: a non-empty str without surrounding whitespace."""
    if type(value) is not str or not value or value != value.strip():
        raise Unusual
    return value


def _optional_text(value: Any) -> str | None:
    if value is not None and type(value) is not str:
        raise Unusual
    return value


def _count(value: Any) -> int:
    if type(value) is not int or not -(2**62) < value < 2**62:
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


class _Columns:
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


def _validated(order) -> tuple[dict[str, Any], list[dict], list[dict]]:
    """A CanonicalOrder's row, lines and refunds."""
    values = order.model_dump()
    row = {name: values[name] for name in ORDER_FIELDS - {"lines", "refunds"}}
    return row, values["lines"], values["refunds"]


def _checked(order: dict[str, Any]) -> tuple[dict[str, Any], list[dict], list[dict]]:
    """An unvalidated order's row, lines and refunds as pydantic would keep them; Unusual for a
    shape pydantic would refuse or change."""
    if not ORDER_FIELDS.issuperset(order):
        raise Unusual
    lines = [_line(line) for line in order.get("lines") or ()]
    refunds = [_refund(refund) for refund in order.get("refunds") or ()]
    fields = order["touchpoint_fields"]
    if type(fields) is not dict or not all(type(v) is str for v in fields.values()):
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


def micro_units(values: Sequence[Decimal]) -> tuple[np.ndarray, np.ndarray]:
    """Amounts as int64 multiples of 10⁻⁶ (through pyarrow's decimal128), and which are exact.

    An amount with more decimals or too large to check is marked inexact (value 0).
    """
    if not len(values):
        return np.zeros(0, dtype=np.int64), np.ones(0, dtype=bool)
    exact = np.array([v.as_tuple().exponent >= -MICRO for v in values], dtype=bool)
    kept = (
        values if exact.all() else [v if ok else ZERO for v, ok in zip(values, exact, strict=True)]
    )
    try:
        array = pa.array(kept, type=pa.decimal128(38, MICRO))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return np.zeros(len(values), dtype=np.int64), np.zeros(len(values), dtype=bool)
    words = np.frombuffer(array.buffers()[1], dtype=np.int64).reshape(-1, 2)
    low, high = words[:, 0], words[:, 1]
    exact &= (high == (low >> 63)) & (np.abs(low) < MAX_MICRO)
    return np.where(exact, low, 0), exact


def _minor(micro: np.ndarray) -> np.ndarray:
    """Hundredths rounded half to even (``canonical_frames.to_minor``) from micro-units."""
    quotient, remainder = np.divmod(micro, 10 ** (MICRO - 2))
    half = 10 ** (MICRO - 2) // 2
    up = (remainder > half) | ((remainder == half) & (quotient % 2 == 1))
    return quotient + up


def _exact_amounts(columns: _Columns) -> tuple[dict, dict, dict]:
    """Every amount in minor units; those with more than six decimals rounded one by one."""
    found = []
    for table, names in (
        (columns.orders, ORDER_MONEY),
        (columns.lines, LINE_MONEY),
        (columns.refunds, ("amount",)),
    ):
        minor = {}
        for name in names:
            micro, exact = micro_units(table[name])
            minor[name] = _minor(micro)
            for i in np.flatnonzero(~exact):
                minor[name][i] = to_minor(table[name][i])
        found.append(minor)
    return tuple(found)


def _utc_ns(values: Sequence[dt.datetime]) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), utc=True), dtype="datetime64[ns, UTC]")


def _sum_per_order(values: np.ndarray, owners: np.ndarray, n: int) -> np.ndarray:
    sums = np.zeros(n, dtype=np.int64)
    np.add.at(sums, owners, values)
    return sums


def _rule_breakers(
    columns: _Columns, horizon: dt.datetime
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Which orders break a rule of the model, and the amounts in minor units (orders, lines,
    refunds; right where no rule is broken) for the batch."""
    n = len(columns)
    orders, lines, refunds = columns.orders, columns.lines, columns.refunds
    bad = np.zeros(n, dtype=bool)
    line_owner = np.asarray(lines["order"], dtype=np.int64)
    refund_owner = np.asarray(refunds["order"], dtype=np.int64)

    def amounts(table: dict[str, list], names, owner: np.ndarray | None) -> dict:
        found = {}
        for name in names:
            micro, exact = micro_units(table[name])
            broken = ~exact | (micro < 0)
            if owner is None:
                bad[broken] = True
            else:
                bad[owner[broken]] = True
            found[name] = micro
        return found

    money = (
        amounts(orders, ORDER_MONEY, None),
        amounts(lines, LINE_MONEY, line_owner),
        amounts(refunds, ("amount",), refund_owner),
    )
    order_money, line_money, refund_money = money

    # Counts, line numbers and versions pydantic bounds.
    bad |= np.asarray(orders["source_version"], dtype=object) < 0
    qty = np.asarray(lines["qty"], dtype=np.int64)
    line_no = np.asarray(lines["line_no"], dtype=np.int64)
    bad[line_owner[(qty < 0) | (line_no < 1)]] = True
    numbered = pd.DataFrame({"order": line_owner, "line_no": line_no})
    bad[line_owner[numbered.duplicated().to_numpy()]] = True

    # Dates no later than the horizon.
    limit = pd.Timestamp(horizon)
    for name in ("ordered_at", "source_updated_at"):
        bad |= (_utc_ns(orders[name]) > limit).to_numpy()
    bad[refund_owner[(_utc_ns(refunds["refunded_at"]) > limit).to_numpy()]] = True

    # Reconciliation within one minor unit of the order's currency.
    unit = np.array(
        [10 ** (MICRO - ISO_4217_MINOR_UNITS[c]) for c in orders["currency"]], dtype=np.int64
    )
    has_lines = np.bincount(line_owner, minlength=n) > 0
    line_sum = _sum_per_order(line_money["line_total"], line_owner, n)
    bad |= has_lines & (np.abs(line_sum - order_money["subtotal"]) > unit)
    taxed = ~np.asarray(orders["taxes_included"], dtype=bool)
    expected = (
        order_money["subtotal"]
        - order_money["discount"]
        + order_money["shipping"]
        + np.where(taxed, order_money["tax"], 0)
    )
    bad |= np.abs(expected - order_money["total"]) > unit
    has_refunds = np.bincount(refund_owner, minlength=n) > 0
    refunded = _sum_per_order(refund_money["amount"], refund_owner, n)
    bad |= has_refunds & (refunded > order_money["total"] + unit)
    minor = ({name: _minor(micro) for name, micro in found.items()} for found in money)
    return bad, *minor


def _widths(columns: _Columns, raw: list[str], limits) -> np.ndarray:
    """Orders whose values do not fit the tables' columns (``sync.mapping._check_widths``)."""
    id_limit, sku_limit, raw_limit = limits
    too_long = np.array(
        [
            len(order_id) > id_limit or len(text) > raw_limit
            for order_id, text in zip(columns.orders["source_order_id"], raw, strict=True)
        ],
        dtype=bool,
    )
    long_sku = np.array([len(sku) > sku_limit for sku in columns.lines["sku"]], dtype=bool)
    too_long[np.asarray(columns.lines["order"], dtype=np.int64)[long_sku]] = True
    return too_long


def _ints(values: list) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def _series(values, dtype) -> pd.Series:
    return pd.Series(values, dtype=dtype)


def build_batch(
    columns: _Columns,
    keep: np.ndarray,
    amounts: tuple[dict, dict, dict],
    touchpoints: list[tuple[str, str]],
    mapping_version: int,
) -> OrderBatch:
    """The loader's batch of the kept orders (positions in page order), as ``to_order_batch``."""
    orders, lines, refunds = columns.orders, columns.lines, columns.refunds
    order_money, line_money, refund_money = amounts
    take = keep.tolist()

    def pick(values: list) -> list:
        return [values[i] for i in take]

    key = {name: pick(orders[name]) for name in TEXT_KEY}
    order_frame = pd.DataFrame(
        {
            **{name: _series(values, object) for name, values in key.items()},
            "source_version": _series(pick(orders["source_version"]), "int64"),
            "source_updated_at": _utc_ns(pick(orders["source_updated_at"])),
            "touchpoint_raw": _series([touchpoints[i][0] for i in take], object),
            "touchpoint_code": _series([touchpoints[i][1] for i in take], object),
            "mapping_version": _series([mapping_version] * len(take), "int64"),
            "location_code": _series(pick(orders["location_code"]), object),
            "region_code": _series(pick(orders["region_code"]), object),
            "customer_key": _series(pick(orders["customer_key"]), object),
            "status": _series(pick(orders["status"]), object),
            "currency": _series(pick(orders["currency"]), object),
            **{f"{name}_minor": _series(order_money[name][keep], "int64") for name in ORDER_MONEY},
            "fx_rate": _series(
                [float("nan") if r is None else float(r) for r in pick(orders["fx_rate"])],
                "float64",
            ),
            "ordered_at": _utc_ns(pick(orders["ordered_at"])),
            "payload": _series(pick(orders["payload"]), object),
            "payload_sha256": _series(pick(orders["payload_sha256"]), object),
            "region_key": _series(pick(orders["region_key"]), object),
        }
    )[BATCH_ORDER_COLUMNS]
    rank = np.full(len(columns), -1, dtype=np.int64)
    rank[keep] = np.arange(len(keep))
    line_rank = rank[np.asarray(lines["order"], dtype=np.int64)]
    line_rows = np.flatnonzero(line_rank >= 0)
    line_rows = line_rows[np.argsort(line_rank[line_rows], kind="stable")]
    refund_rank = rank[np.asarray(refunds["order"], dtype=np.int64)]
    refund_rows = np.flatnonzero(refund_rank >= 0)
    refund_rows = refund_rows[np.argsort(refund_rank[refund_rows], kind="stable")]
    return OrderBatch(
        orders=order_frame,
        lines=pd.DataFrame(
            {
                **_owner_key(key, line_rank[line_rows]),
                "line_no": _series(
                    np.asarray(lines["line_no"], dtype=np.int64)[line_rows], "int64"
                ),
                "sku": _series([lines["sku"][i] for i in line_rows], object),
                "qty": _series(_ints(lines["qty"])[line_rows], "int64"),
                **{
                    f"{name}_minor": _series(line_money[name][line_rows], "int64")
                    for name in LINE_MONEY
                },
            }
        )[LINE_COLUMNS],
        refunds=pd.DataFrame(
            {
                **_owner_key(key, refund_rank[refund_rows]),
                "source_refund_id": _series(
                    [refunds["source_refund_id"][i] for i in refund_rows], object
                ),
                "refunded_at": _utc_ns([refunds["refunded_at"][i] for i in refund_rows]),
                "amount_minor": _series(refund_money["amount"][refund_rows], "int64"),
            }
        )[REFUND_COLUMNS],
    )


def _owner_key(key: dict[str, list], owners: np.ndarray) -> dict[str, pd.Series]:
    at = owners.tolist()
    return {name: _series([values[i] for i in at], object) for name, values in key.items()}


def newest_positions(columns: _Columns) -> np.ndarray:
    """Positions of the orders a batch keeps: per natural key the highest version (the later
    copy on ties), at the place of the key's first copy (``canonical_frames.newest_per_order``)."""
    orders = columns.orders
    slot: dict[tuple[str, str, str], int] = {}
    chosen: list[int] = []
    for position, (key, version) in enumerate(
        zip(
            zip(*(orders[name] for name in TEXT_KEY), strict=True),
            orders["source_version"],
            strict=True,
        )
    ):
        at = slot.get(key)
        if at is None:
            slot[key] = len(chosen)
            chosen.append(position)
        elif version >= orders["source_version"][chosen[at]]:
            chosen[at] = position
    return np.asarray(chosen, dtype=np.int64)


def _touchpoints(columns: _Columns, rules: ChannelRules) -> list[tuple[str, str]]:
    """(raw fields, assigned touchpoint) per order, the rules matched once per distinct fields."""
    assigned: dict[tuple, tuple[str, str]] = {}
    found = []
    for system, fields in zip(
        columns.orders["source_system"], columns.orders["touchpoint_fields"], strict=True
    ):
        cache_key = (system, *sorted(fields.items()))
        touchpoint = assigned.get(cache_key)
        if touchpoint is None:
            touchpoint = assigned[cache_key] = (
                touchpoint_raw(fields),
                rules.match(system, fields),
            )
        found.append(touchpoint)
    return found


def map_page_columnar(
    mapped: Sequence[tuple[int, dict[str, Any] | None]],
    validate: Callable[[int], Any],
    rules: ChannelRules,
    *,
    future_tolerance: dt.timedelta | None = None,
    widths: tuple[int, int, int],
) -> tuple[OrderBatch, int]:
    """The batch of a page whose records were mapped without validation.

    ``mapped``: (index in the page, the connector's unvalidated order, or None where its
    mapping failed), in page order. ``validate(index)`` maps that record through the
    per-record path: its CanonicalOrder, or None (not an order, or rejected: the caller
    keeps the reject). Returns the batch and how many canonical orders it was built from.
    """
    horizon = dt.datetime.now(dt.UTC) + (future_tolerance or FUTURE_TOLERANCE)
    with gc_paused():
        columns, taken, slow = _Columns(), [], []
        for position, order in mapped:
            try:
                if order is None:
                    raise Unusual
                shaped = _checked(order)
            except (Unusual, KeyError, TypeError, AttributeError):
                slow.append(position)
                continue
            columns.append(*shaped)
            taken.append((position, shaped))
        touchpoints = _touchpoints(columns, rules)
        bad, *amounts = _rule_breakers(columns, horizon)
        bad |= _widths(columns, [raw for raw, _ in touchpoints], widths)
        if slow or bad.any():
            chosen = {
                position: order for (position, order), b in zip(taken, bad, strict=True) if not b
            }
            slow += [taken[i][0] for i in np.flatnonzero(bad)]
            for position in sorted(slow):
                order = validate(position)
                if order is not None:
                    chosen[position] = _validated(order)
            columns = _Columns()
            for position in sorted(chosen):
                columns.append(*chosen[position])
            touchpoints = _touchpoints(columns, rules)
            amounts = _exact_amounts(columns)
        keep = newest_positions(columns)
        return build_batch(columns, keep, amounts, touchpoints, rules.version), len(columns)
