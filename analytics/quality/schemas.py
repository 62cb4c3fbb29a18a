"""Frame-level checks as pandera schemas over the day's orders and lines.

Each named check is one or more schemas; a check's result counts the distinct
rows that broke any of them and quotes a few failure cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pandas as pd
import pandera.pandas as pa
import pycountry

from analytics.quality.frames import LINE_AMOUNTS
from analytics.quality.frames import ORDER_AMOUNTS
from analytics.quality.results import CheckResult
from analytics.quality.tolerances import Tolerances

ORDER_STATUSES = ("open", "completed", "cancelled", "refunded")
ISO_4217 = frozenset(currency.alpha_3 for currency in pycountry.currencies)
KEY_COLUMNS = ("source_system", "source_instance", "source_order_id")

non_empty = pa.Check.str_length(min_value=1)
not_negative = pa.Check.ge(Decimal(0))


def member_of(allowed, name: str) -> pa.Check:
    """``isin`` under a short name (the built-in one would quote the whole set)."""
    return pa.Check(lambda values: values.isin(allowed), name=name)


def natural_key(orders: pd.DataFrame) -> pd.Series:
    """The natural key with surrounding blanks removed: 'A-1' and 'A-1 ' are the same order."""
    if orders.empty:
        return pd.Series([], dtype=str, index=orders.index)
    return (
        orders[list(KEY_COLUMNS)].astype(str).apply(lambda c: c.str.strip()).agg("|".join, axis=1)
    )


def order_key_schema() -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {name: pa.Column(str, non_empty) for name in KEY_COLUMNS}
        | {"natural_key": pa.Column(str, unique=True, report_duplicates="all")},
        name="orders",
    )


def order_lines_schemas() -> tuple[pa.DataFrameSchema, pa.DataFrameSchema]:
    # Line numbers need not be contiguous (SAP numbers items 10, 20, 30 …): a missing line
    # shows in the reconciliation check, where the lines no longer add up to the subtotal.
    orders = pa.DataFrameSchema(
        {"line_count": pa.Column(int, pa.Check.ge(1, error="order has no lines"))},
        name="orders",
    )
    lines = pa.DataFrameSchema(
        {"line_no": pa.Column(int, pa.Check.ge(1))},
        unique=["order_id", "line_no"],
        name="lines",
    )
    return orders, lines


def valid_value_schemas() -> tuple[pa.DataFrameSchema, pa.DataFrameSchema]:
    orders = pa.DataFrameSchema(
        {
            "status": pa.Column(str, member_of(ORDER_STATUSES, "known_status")),
            "currency": pa.Column(str, member_of(ISO_4217, "iso_4217_currency")),
        }
        | {name: pa.Column(object, not_negative) for name in ORDER_AMOUNTS},
        name="orders",
    )
    lines = pa.DataFrameSchema(
        {"qty": pa.Column(int, pa.Check.ge(0)), "sku": pa.Column(str, non_empty)}
        | {name: pa.Column(object, not_negative) for name in LINE_AMOUNTS},
        name="lines",
    )
    return orders, lines


def reconcile_schema(tolerance: Decimal) -> pa.DataFrameSchema:
    def lines_match(frame: pd.DataFrame) -> pd.Series:
        return (frame["line_sum"] - frame["subtotal"]).map(abs) <= tolerance

    def total_matches(frame: pd.DataFrame) -> pd.Series:
        computed = frame["subtotal"] - frame["discount"] + frame["tax"] + frame["shipping"]
        return (computed - frame["total"]).map(abs) <= tolerance

    return pa.DataFrameSchema(
        checks=[
            pa.Check(lines_match, name="lines_sum_to_subtotal"),
            pa.Check(total_matches, name="subtotal_less_discount_plus_tax_shipping_is_total"),
        ],
        name="orders",
    )


CASE_COLUMNS = ["schema", "row", "column", "check", "failure_case", "context"]


def _row_label(frame: pd.DataFrame, index) -> str:
    if "line_no" in frame.columns:
        return f"order {frame.at[index, 'order_id']} line {frame.at[index, 'line_no']}"
    return f"order {frame.at[index, 'id']}"


def _failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> pd.DataFrame:
    """One row per failure case, labelled with the order (and line) it concerns."""
    if frame.empty:
        return pd.DataFrame(columns=CASE_COLUMNS)
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases.dropna(subset=["index"])
        return pd.DataFrame(
            {
                "schema": schema.name,
                "row": [_row_label(frame, i) for i in cases["index"]],
                "column": cases["column"].to_numpy(),
                "check": cases["check"].to_numpy(),
                "failure_case": cases["failure_case"].to_numpy(),
                "context": cases["schema_context"].to_numpy(),
            }
        )
    return pd.DataFrame(columns=CASE_COLUMNS)


def _describe(case: pd.Series) -> str:
    if case["context"] == "Column":
        return f"{case['row']}: {case['column']}={case['failure_case']!r} fails {case['check']}"
    return f"{case['row']}: fails {case['check']}"


def _result(
    check: str,
    day: dt.date,
    scope: str,
    frames: list[tuple[pa.DataFrameSchema, pd.DataFrame]],
    examples: int,
) -> CheckResult:
    cases = pd.concat([_failures(s, f) for s, f in frames], ignore_index=True)
    rows = sum(len(f) for _s, f in frames)
    if cases.empty:
        return CheckResult(check, scope, day, "pass", f"0 of {rows} rows", "0 rows")
    distinct = cases.drop_duplicates(["schema", "row", "check"])
    bad_rows = distinct.drop_duplicates(["schema", "row"])
    quoted = "; ".join(distinct.head(examples).apply(_describe, axis=1))
    more = len(distinct) - examples
    message = quoted + (f"; and {more} more" if more > 0 else "")
    return CheckResult(
        check, scope, day, "fail", f"{len(bad_rows)} of {rows} rows", "0 rows", message
    )


FrameCheck = Callable[[dt.date, pd.DataFrame, pd.DataFrame, Tolerances], CheckResult]


def check_order_keys(day, orders, _lines, tolerances: Tolerances) -> CheckResult:
    keyed = orders.assign(natural_key=natural_key(orders))
    return _result(
        "order_keys", day, "sales_order", [(order_key_schema(), keyed)], tolerances.examples
    )


def check_order_lines(day, orders, lines, tolerances: Tolerances) -> CheckResult:
    schemas = order_lines_schemas()
    return _orders_and_lines("order_lines", "order_line", schemas, day, orders, lines, tolerances)


def check_valid_values(day, orders, lines, tolerances: Tolerances) -> CheckResult:
    schemas = valid_value_schemas()
    scope = "sales_order, order_line"
    return _orders_and_lines("valid_values", scope, schemas, day, orders, lines, tolerances)


def _orders_and_lines(check, scope, schemas, day, orders, lines, tolerances) -> CheckResult:
    """A check of one schema on the day's orders and another on their lines."""
    order_schema, line_schema = schemas
    frames = [(order_schema, orders), (line_schema, lines)]
    return _result(check, day, scope, frames, tolerances.examples)


def check_reconciliation(day, orders, _lines, tolerances: Tolerances) -> CheckResult:
    return _result(
        "reconciliation",
        day,
        "sales_order",
        [(reconcile_schema(tolerances.reconcile), orders)],
        tolerances.examples,
    )


FRAME_CHECKS: dict[str, FrameCheck] = {
    "order_keys": check_order_keys,
    "order_lines": check_order_lines,
    "valid_values": check_valid_values,
    "reconciliation": check_reconciliation,
}
