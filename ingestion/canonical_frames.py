"""The canonical model's columnar form: the loader's batch of orders and the side-table frames.

Minor units (amount × 100, rounded half to even), UTC timestamps, touchpoints from the
channel rules; duplicates of one order collapse to its newest version.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from decimal import ROUND_HALF_EVEN
from decimal import Decimal
from typing import TYPE_CHECKING
from typing import Any

import pandas as pd
from sqlalchemy import Numeric

from db.schema import Money
from db.schema import Rate
from ingestion.batch import BATCH_ORDER_COLUMNS
from ingestion.batch import INVENTORY_COLUMNS
from ingestion.batch import LINE_COLUMNS
from ingestion.batch import ORDER_COLUMNS
from ingestion.batch import REFUND_COLUMNS
from ingestion.batch import SPEND_COLUMNS
from ingestion.batch import TOUCH_COLUMNS
from ingestion.batch import TRAFFIC_COLUMNS
from ingestion.batch import OrderBatch
from ingestion.errors import MappingError
from ingestion.mapping import ChannelRules
from ingestion.mapping import touchpoint_raw
from ingestion.money import EXACT_CENTS

if TYPE_CHECKING:
    from ingestion.canonical import CanonicalInventory
    from ingestion.canonical import CanonicalOrder
    from ingestion.canonical import CanonicalSpend
    from ingestion.canonical import CanonicalTouch
    from ingestion.canonical import CanonicalTraffic

HUNDRED = Decimal(100)
# The numbers of the canonical records (of every kind, with lines and refunds) by column type,
# in the order they are checked (a total before the subtotal derived from it).
AMOUNTS = "total subtotal tax shipping discount unit_price line_total unit_cost amount spend"
COUNTS = "units line_no qty on_hand on_order sessions footfall opportunities opportunities_won"
BIG_COUNTS = "source_version impressions clicks"


def _largest(column: Numeric) -> Decimal:
    """The largest value a NUMERIC(p, s) column holds: 10^(p − s) less one unit of 10^−s."""
    return Decimal(10) ** (column.precision - column.scale) - Decimal(1).scaleb(-column.scale)


# Amounts convert to the base currency as float64 cents (``ingestion.money.convert_minor``):
# exact up to 2^53 cents, a limit below NUMERIC(18, 2)'s (the rounding of a larger one may
# pass it, and fail the load).
EXACT_AMOUNT = Decimal(EXACT_CENTS).scaleb(-2)
# The largest value each number can be stored as: NUMERIC amounts and rates, INTEGER and
# BIGINT counts (the columns of db.schema and of the loader's staging tables).
STORED = {
    **dict.fromkeys(AMOUNTS.split(), min(_largest(Money), EXACT_AMOUNT)),
    "fx_rate": _largest(Rate),
    **dict.fromkeys(COUNTS.split(), 2**31 - 1),
    **dict.fromkeys(BIG_COUNTS.split(), 2**63 - 1),
}


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects.

    Bulk validation creates millions of objects that live on; CPython's collector would
    rescan them again and again (several times slower). Reference counting still frees
    everything that is not cyclic, and the collector is restored as it was.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def to_minor(amount: Decimal) -> int:
    """Integer hundredths (the batch's minor units), rounded half to even."""
    return int((amount * HUNDRED).to_integral_value(ROUND_HALF_EVEN))


def check_storable(record: Any) -> None:
    """Numbers the tables cannot hold are a reason to quarantine the record, not a failed
    load: its amounts, rates and counts, its lines' and refunds', and its lines' sums."""
    _check_numbers(record, "")
    lines = getattr(record, "lines", ())
    for line in lines:
        _check_numbers(line, f"line {line.line_no}: ")
    if lines:
        _check(sum(line.qty for line in lines), STORED["units"], "units (the lines' qty)")
        cost = sum((line.qty * line.unit_cost for line in lines), Decimal(0))
        _check(cost, STORED["unit_cost"], "cost of goods (the lines' qty × unit_cost)")
    for refund in getattr(record, "refunds", ()):
        _check_numbers(refund, f"refund {refund.source_refund_id}: ")


def _check_numbers(record: Any, where: str) -> None:
    fields = type(record).model_fields
    for name, limit in STORED.items():
        value = getattr(record, name) if name in fields else None
        if value is not None:
            _check(value, limit, f"{where}{name}")


def _check(value: int | Decimal, limit: int | Decimal, what: str) -> None:
    if value > limit:
        raise MappingError(f"{what}: {value} is more than can be stored ({limit} at most)")


def _utc(values: Sequence[dt.datetime]) -> pd.Series:
    return pd.Series(pd.to_datetime(list(values), utc=True), dtype="datetime64[ns, UTC]")


def newest_per_order(orders: Sequence[CanonicalOrder]) -> list[CanonicalOrder]:
    """Duplicates of one order collapse to its highest source version (the later copy on ties)."""
    newest: dict[tuple[str, str, str], CanonicalOrder] = {}
    for order in orders:
        key = (order.source_system, order.source_instance, order.source_order_id)
        kept = newest.get(key)
        if kept is None or order.source_version >= kept.source_version:
            newest[key] = order
    return list(newest.values())


def to_order_batch(orders: Sequence[CanonicalOrder], rules: ChannelRules) -> OrderBatch:
    """The loader's columnar batch, one row per order (duplicates collapsed to the newest):
    minor units, UTC timestamps, touchpoints from ``rules``."""
    with gc_paused():
        return _order_batch(newest_per_order(orders), rules)


def _order_batch(orders: Sequence[CanonicalOrder], rules: ChannelRules) -> OrderBatch:
    order_rows, line_rows, refund_rows = [], [], []
    assigned: dict[tuple, tuple[str, str]] = {}
    version = rules.version
    for order in orders:
        fields = order.touchpoint_fields
        cache_key = (order.source_system, *sorted(fields.items()))
        touchpoint = assigned.get(cache_key)
        if touchpoint is None:
            touchpoint = assigned[cache_key] = (
                touchpoint_raw(fields),
                rules.match(order.source_system, fields),
            )
        key = (order.source_system, order.source_instance, order.source_order_id)
        order_rows.append(
            (
                *key,
                order.source_version,
                order.source_updated_at,
                *touchpoint,
                version,
                order.location_code,
                order.region_code,
                order.customer_key,
                order.status,
                order.currency,
                to_minor(order.subtotal),
                to_minor(order.discount),
                to_minor(order.tax),
                to_minor(order.shipping),
                to_minor(order.total),
                _rate(order.fx_rate),
                order.ordered_at,
                order.payload,
                order.payload_sha256,
                order.region_key,
                order.units,
            )
        )
        for line in order.lines:
            line_rows.append(
                (
                    *key,
                    line.line_no,
                    line.sku,
                    line.qty,
                    to_minor(line.unit_price),
                    to_minor(line.discount),
                    to_minor(line.line_total),
                    to_minor(line.unit_cost),
                )
            )
        for refund in order.refunds:
            refund_rows.append(
                (*key, refund.source_refund_id, refund.refunded_at, to_minor(refund.amount))
            )
    return OrderBatch(
        orders=_frame(
            order_rows,
            BATCH_ORDER_COLUMNS,
            ints=("source_version", "mapping_version", *_minor_columns(ORDER_COLUMNS)),
            times=("source_updated_at", "ordered_at"),
            floats=("fx_rate",),
        ),
        lines=_frame(
            line_rows, LINE_COLUMNS, ints=("line_no", "qty", *_minor_columns(LINE_COLUMNS))
        ),
        refunds=_frame(refund_rows, REFUND_COLUMNS, ints=("amount_minor",), times=("refunded_at",)),
    )


def _rate(rate: Decimal | None) -> float:
    """The batch's float rate; NaN where the source gave none (the enrichment fills it)."""
    return float("nan") if rate is None else float(rate)


def _minor_columns(columns: list[str]) -> list[str]:
    return [c for c in columns if c.endswith("_minor")]


def _frame(
    rows: list[tuple],
    columns: list[str],
    *,
    ints: Iterable[str] = (),
    times: Iterable[str] = (),
    floats: Iterable[str] = (),
) -> pd.DataFrame:
    """A frame from row tuples: int64 / float64 / UTC datetime columns as named, else object."""
    values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    typed = {c: "int64" for c in ints} | {c: "float64" for c in floats}
    times = set(times)
    series = {}
    for name, column in zip(columns, values, strict=True):
        if name in times:
            series[name] = _utc(column)
        else:
            series[name] = pd.Series(column, dtype=typed.get(name, object))
    return pd.DataFrame(series)


def _empty_frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def _none_for_missing(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    for c in columns:
        frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    return frame


def traffic_frame(rows: Iterable[CanonicalTraffic]) -> pd.DataFrame:
    """Traffic summed per day × touchpoint × region × location × source (the table's key)."""
    counts = ["sessions", "footfall", "opportunities", "opportunities_won"]
    records = [r.model_dump(include=set(TRAFFIC_COLUMNS)) for r in rows]
    if not records:
        return _empty_frame(TRAFFIC_COLUMNS)
    frame = pd.DataFrame.from_records(records, columns=TRAFFIC_COLUMNS)
    keys = [c for c in TRAFFIC_COLUMNS if c not in counts]
    summed = frame.groupby(keys, dropna=False, sort=True)[counts].sum().reset_index()
    summed = summed.astype({c: "int64" for c in counts})[TRAFFIC_COLUMNS]
    return _none_for_missing(summed, ["region_code", "location_code"])


def spend_frame(rows: Iterable[CanonicalSpend]) -> pd.DataFrame:
    records = [
        {
            **r.model_dump(exclude={"spend", "fx_rate"}),
            "spend_minor": to_minor(r.spend),
            "fx_rate": _rate(r.fx_rate),
        }
        for r in rows
    ]
    if not records:
        return _empty_frame(SPEND_COLUMNS)
    frame = pd.DataFrame.from_records(records, columns=SPEND_COLUMNS)
    return frame.astype({"spend_minor": "int64", "impressions": "int64", "clicks": "int64"})


def inventory_frame(rows: Iterable[CanonicalInventory]) -> pd.DataFrame:
    records = [r.model_dump() for r in rows]
    if not records:
        return _empty_frame(INVENTORY_COLUMNS)
    frame = pd.DataFrame.from_records(records, columns=INVENTORY_COLUMNS)
    return frame.astype({"on_hand": "int64", "on_order": "int64"})


def touch_frame(rows: Iterable[CanonicalTouch]) -> pd.DataFrame:
    rows = list(rows)
    columns = {c: pd.Series([getattr(r, c) for r in rows], dtype=object) for c in TOUCH_COLUMNS}
    columns["touched_at"] = _utc([r.touched_at for r in rows])
    return pd.DataFrame(columns)[TOUCH_COLUMNS]
