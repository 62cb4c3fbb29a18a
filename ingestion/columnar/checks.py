"""The model's rules checked column-wise over a page: which orders break one, and their amounts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa

from ingestion.canonical import ISO_4217_MINOR_UNITS
from ingestion.canonical_frames import STORED
from ingestion.canonical_frames import to_minor
from ingestion.columnar.shapes import LINE_MONEY
from ingestion.columnar.shapes import ORDER_MONEY
from ingestion.columnar.shapes import ZERO
from ingestion.columnar.shapes import Columns

MICRO = 6  # amounts are checked as integers of 10⁻⁶: exact for every currency's minor unit
MAX_MICRO = 10**12 * 10**MICRO  # larger amounts take the per-record path


def micro_units(values: Sequence[Decimal]) -> tuple[np.ndarray, np.ndarray]:
    """Amounts as int64 multiples of 10⁻⁶ (through pyarrow's decimal128), and which are exact.

    An amount with more decimals or too large to check is marked inexact (value 0). pyarrow
    refuses a column holding any amount it cannot take exactly; only then is each looked at.
    """
    if not len(values):
        return np.zeros(0, dtype=np.int64), np.ones(0, dtype=bool)
    try:
        array = pa.array(values, type=pa.decimal128(38, MICRO))
        exact = np.ones(len(values), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        exact = np.array([v.as_tuple().exponent >= -MICRO for v in values], dtype=bool)
        kept = [v if ok else ZERO for v, ok in zip(values, exact, strict=True)]
        try:
            array = pa.array(kept, type=pa.decimal128(38, MICRO))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return np.zeros(len(values), dtype=np.int64), np.zeros(len(values), dtype=bool)
    words = np.frombuffer(array.buffers()[1], dtype=np.int64).reshape(-1, 2)
    low, high = words[:, 0], words[:, 1]
    exact &= (high == (low >> 63)) & (np.abs(low) < MAX_MICRO)
    return np.where(exact, low, 0), exact


def minor_units(micro: np.ndarray) -> np.ndarray:
    """Hundredths rounded half to even (``canonical_frames.to_minor``) from micro-units."""
    quotient, remainder = np.divmod(micro, 10 ** (MICRO - 2))
    half = 10 ** (MICRO - 2) // 2
    up = (remainder > half) | ((remainder == half) & (quotient % 2 == 1))
    return quotient + up


def exact_amounts(columns: Columns) -> tuple[dict, dict, dict]:
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
            minor[name] = minor_units(micro)
            for i in np.flatnonzero(~exact):
                minor[name][i] = to_minor(table[name][i])
        found.append(minor)
    return tuple(found)


def utc_ns(values: Sequence[dt.datetime]) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), utc=True), dtype="datetime64[ns, UTC]")


def _sum_per_order(values: np.ndarray, owners: np.ndarray, n: int) -> np.ndarray:
    sums = np.zeros(n, dtype=values.dtype)
    np.add.at(sums, owners, values)
    return sums


def rule_breakers(
    columns: Columns, horizon: dt.datetime
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

    # Counts, line numbers and versions pydantic bounds, and the columns' (INTEGER, BIGINT).
    version = np.asarray(orders["source_version"], dtype=object)
    bad |= (version < 0) | (version > STORED["source_version"])
    qty = np.asarray(lines["qty"], dtype=object).astype(float)  # any Python int, compared
    line_no = np.asarray(lines["line_no"], dtype=object).astype(float)
    bad[line_owner[(qty < 0) | (line_no < 1)]] = True
    bad[line_owner[(qty > STORED["qty"]) | (line_no > STORED["line_no"])]] = True
    bad |= _sum_per_order(np.minimum(qty, 2**32), line_owner, n) > STORED["units"]
    line_no = np.clip(line_no, 0, 2**31).astype(np.int64)
    numbered = pd.DataFrame({"order": line_owner, "line_no": line_no})
    bad[line_owner[numbered.duplicated().to_numpy()]] = True

    # Dates no later than the horizon.
    limit = pd.Timestamp(horizon)
    for name in ("ordered_at", "source_updated_at"):
        bad |= (utc_ns(orders[name]) > limit).to_numpy()
    bad[refund_owner[(utc_ns(refunds["refunded_at"]) > limit).to_numpy()]] = True

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
    minor = ({name: minor_units(micro) for name, micro in found.items()} for found in money)
    return bad, *minor


def too_wide(columns: Columns, raw: list[str], limits) -> np.ndarray:
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
