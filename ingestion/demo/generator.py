"""Streaming the demo data set in chunks of days.

Each day draws from its own generator, seeded by (seed, day ordinal), and the
only state carried from day to day (customer counters, stock levels) evolves in
day order, so the output is the same whatever ``chunk_days`` is. Memory is
bounded by one chunk.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ingestion.batch import INVENTORY_COLUMNS
from ingestion.batch import LINE_COLUMNS
from ingestion.batch import ORDER_COLUMNS
from ingestion.batch import REFUND_COLUMNS
from ingestion.batch import SPEND_COLUMNS
from ingestion.batch import TOUCH_COLUMNS
from ingestion.batch import TRAFFIC_COLUMNS
from ingestion.batch import OrderBatch
from ingestion.demo.customers import CustomerPool
from ingestion.demo.inventory import StockTracker
from ingestion.demo.journeys import touch_rows
from ingestion.demo.orders import day_orders
from ingestion.demo.plan import build_plan
from ingestion.demo.plan import period_start
from ingestion.demo.reference import REGIONS
from ingestion.demo.traffic import spend_rows
from ingestion.demo.traffic import traffic_rows

TIMESTAMP_COLUMNS = {"source_updated_at", "ordered_at", "refunded_at", "touched_at"}
FLOAT_COLUMNS = {"fx_rate"}
INTEGER_COLUMNS = {
    "source_version",
    "mapping_version",
    "subtotal_minor",
    "discount_minor",
    "tax_minor",
    "shipping_minor",
    "total_minor",
    "line_no",
    "qty",
    "unit_price_minor",
    "line_total_minor",
    "unit_cost_minor",
    "amount_minor",
    "sessions",
    "footfall",
    "opportunities",
    "opportunities_won",
    "spend_minor",
    "impressions",
    "clicks",
    "on_hand",
    "on_order",
}


@dataclass
class DemoChunk:
    first_day: dt.date
    last_day: dt.date
    orders: OrderBatch
    traffic: pd.DataFrame
    spend: pd.DataFrame
    inventory: pd.DataFrame
    touches: pd.DataFrame


def _column(name: str, parts: list[np.ndarray]) -> pd.Series:
    values = np.concatenate(parts) if parts else np.zeros(0, dtype=object)
    if name in TIMESTAMP_COLUMNS:
        return pd.Series(pd.to_datetime(values.astype(np.int64), unit="ns", utc=True))
    if name in FLOAT_COLUMNS:
        return pd.Series(values.astype(np.float64))
    if name in INTEGER_COLUMNS:
        return pd.Series(values.astype(np.int64))
    return pd.Series(values, dtype=object)


def _frame(columns: list[str], days: list[dict[str, np.ndarray]]) -> pd.DataFrame:
    return pd.DataFrame({c: _column(c, [d[c] for d in days]) for c in columns})


class _Buffer:
    TABLES = {
        "orders": ORDER_COLUMNS,
        "lines": LINE_COLUMNS,
        "refunds": REFUND_COLUMNS,
        "traffic": TRAFFIC_COLUMNS,
        "spend": SPEND_COLUMNS,
        "inventory": INVENTORY_COLUMNS,
        "touches": TOUCH_COLUMNS,
    }

    def __init__(self) -> None:
        self.parts: dict[str, list[dict[str, np.ndarray]]] = {t: [] for t in self.TABLES}
        self.first_day: dt.date | None = None

    def add(self, day: dt.date, **tables: dict[str, np.ndarray] | None) -> None:
        self.first_day = self.first_day or day
        for name, rows in tables.items():
            if rows is not None:
                self.parts[name].append(rows)

    def flush(self, last_day: dt.date) -> DemoChunk:
        frames = {name: _frame(cols, self.parts[name]) for name, cols in self.TABLES.items()}
        chunk = DemoChunk(
            first_day=self.first_day,
            last_day=last_day,
            orders=OrderBatch(frames["orders"], frames["lines"], frames["refunds"]),
            traffic=frames["traffic"],
            spend=frames["spend"],
            inventory=frames["inventory"],
            touches=frames["touches"],
        )
        self.__init__()
        return chunk


def as_of(end: dt.date) -> int:
    """Epoch ns of the end of `end` in the westernmost region: nothing happens after it."""
    latest = [
        pd.Timestamp(end + dt.timedelta(days=1)).tz_localize(r.timezone).value - 1 for r in REGIONS
    ]
    return max(latest)


def generate(
    n_orders: int, seed: int, end: dt.date, years: int = 3, chunk_days: int = 14
) -> Iterator[DemoChunk]:
    """Demo data for the `years` years ending on `end`, about `n_orders` orders in all.

    Yields one DemoChunk per `chunk_days` days, in day order.
    """
    if n_orders <= 0 or years <= 0 or chunk_days <= 0:
        raise ValueError("n_orders, years and chunk_days must be positive")
    return _chunks(n_orders, seed, end, years, chunk_days)


def _chunks(
    n_orders: int, seed: int, end: dt.date, years: int, chunk_days: int
) -> Iterator[DemoChunk]:
    plan = build_plan(n_orders, seed, period_start(end, years), end)
    customers = CustomerPool(seed)
    stock = StockTracker(plan.catalogue, seed, end)
    horizon_ns = as_of(end)
    buffer = _Buffer()
    for i, day in enumerate(plan.days):
        rng = np.random.default_rng([seed, day.toordinal()])
        orders = day_orders(plan, i, rng, customers, horizon_ns)
        per_cell = np.bincount(orders.cell, minlength=len(plan.cells))
        buffer.add(
            day,
            orders=orders.orders,
            lines=orders.lines,
            refunds=orders.refunds,
            traffic=traffic_rows(plan, i, rng, per_cell),
            spend=spend_rows(plan, i, rng),
            touches=touch_rows(orders, rng),
            inventory=stock.step(
                day,
                rng,
                orders.line_sku[orders.line_active],
                orders.line_location[orders.line_active],
                orders.line_qty[orders.line_active],
            ),
        )
        if (i + 1) % chunk_days == 0 or i + 1 == len(plan.days):
            yield buffer.flush(day)
