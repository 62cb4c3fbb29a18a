"""What the exchange-rate table holds, currency by currency, and what the data still needs of
it (Admin › Exchange rates).

- ``currency_rates``: per currency, its first and last day with a rate, the latest rate (base
  currency per unit) and the number of days with one.
- ``rate_gaps``: the currencies the data needs rates of: those of quarantined rejects refused
  for want of a rate that the table still cannot give (``ingestion.enrich.no_rate_reason``),
  and those of the latest orders (the last ``MAX_RATE_AGE`` of order days: a bounded range of
  the order-day index, never the whole history) whose newest order is more than
  ``MAX_RATE_AGE`` after the currency's last rate, or that have none (such orders loaded with
  their source's own rate; the next without one is quarantined).
- ``waiting_for_replay``: how many quarantined rejects of some currencies a replay can now
  load, the table holding their rate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection
from sqlalchemy import func
from sqlalchemy import select

from db.engine import get_engine
from db.ingestion_tables import Reject
from db.order_tables import SalesOrder
from db.schema import ExchangeRate
from db.settings import get_settings
from ingestion.enrich import MAX_RATE_AGE
from ingestion.enrich import NO_RATE
from ingestion.enrich import NO_RATE_REASON
from ingestion.enrich import rates_on
from ingestion.quarantine import replayable

RATE_COLUMNS = ["currency", "first_day", "last_day", "latest_rate", "days", "latest_source"]


@dataclass(frozen=True)
class RateGap:
    """A currency the data needs rates of, and why."""

    currency: str
    why: str


def currency_rates() -> pd.DataFrame:
    """One row per currency with rates (``RATE_COLUMNS``), by currency."""
    rate = ExchangeRate.__table__
    spans = (
        select(
            rate.c.currency,
            func.min(rate.c.day).label("first_day"),
            func.max(rate.c.day).label("last_day"),
            func.count().label("days"),
        )
        .group_by(rate.c.currency)
        .subquery()
    )
    query = (
        select(
            spans.c.currency,
            spans.c.first_day,
            spans.c.last_day,
            rate.c.rate,
            spans.c.days,
            rate.c.source,
        )
        .join(rate, (rate.c.currency == spans.c.currency) & (rate.c.day == spans.c.last_day))
        .order_by(spans.c.currency)
    )
    with get_engine().connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=RATE_COLUMNS)
    return frame.astype({"latest_rate": "float64", "days": "int64"})


def _no_rate_rejects(conn: Connection) -> pd.DataFrame:
    """The quarantined rejects a replay can load once the table holds a rate of their currency
    near their day: ``currency``, ``day``, ``rejects`` (how many) and ``has_rate`` (it does)."""
    reject = Reject.__table__
    rows = conn.execute(
        select(reject.c.error, reject.c.source_system, reject.c.canonical, func.count())
        .where(reject.c.status == "quarantined", reject.c.error.contains(NO_RATE))
        .group_by(reject.c.error, reject.c.source_system, reject.c.canonical)
    ).all()
    found = [
        (*reason.groups(), count)
        for error, system, canonical, count in rows
        if replayable(system, canonical) and (reason := NO_RATE_REASON.search(error))
    ]
    frame = pd.DataFrame(found, columns=["currency", "day", "rejects"])
    frame["day"] = pd.to_datetime(frame["day"]).astype("datetime64[ns]")
    frame["has_rate"] = rates_on(conn, frame["currency"], frame["day"]).notna()
    return frame


def _latest_orders(conn: Connection) -> dict[str, dt.date]:
    """The newest order day of each foreign currency among the orders of the last
    ``MAX_RATE_AGE`` of order days."""
    newest = conn.execute(select(func.max(SalesOrder.order_day))).scalar()
    if newest is None:
        return {}
    rows = conn.execute(
        select(SalesOrder.currency, func.max(SalesOrder.order_day))
        .where(SalesOrder.order_day >= newest - MAX_RATE_AGE)
        .group_by(SalesOrder.currency)
    ).all()
    base = get_settings().base_currency
    return {currency: day for currency, day in rows if currency != base}


def rate_gaps() -> list[RateGap]:
    """The currencies the data needs rates of (see the module's note), by currency."""
    spans = currency_rates()
    last_rates = dict(zip(spans["currency"], spans["last_day"], strict=True))
    with get_engine().connect() as conn:
        rejects = _no_rate_rejects(conn)
        orders = _latest_orders(conn)
    gaps = {}
    missing = rejects[~rejects["has_rate"]]
    for currency, group in missing.groupby("currency"):
        count = int(group["rejects"].sum())
        gaps[currency] = (
            f"{count:,} quarantined reject{'s' if count != 1 else ''} without a rate "
            f"(days {group['day'].min().date()} to {group['day'].max().date()})"
        )
    for currency, newest in orders.items():
        last = last_rates.get(currency)
        if currency in gaps or (last is not None and newest - last <= MAX_RATE_AGE):
            continue
        stored = f"last rate {last}" if last is not None else "no rate stored"
        gaps[currency] = f"orders up to {newest}, {stored}"
    return [RateGap(currency, gaps[currency]) for currency in sorted(gaps)]


def waiting_for_replay(currencies: Iterable[str] | None = None) -> int:
    """How many quarantined rejects (of ``currencies``; None: of any) a replay can now load,
    the table holding their rate."""
    with get_engine().connect() as conn:
        rejects = _no_rate_rejects(conn)
    ready = rejects[rejects["has_rate"]]
    if currencies is not None:
        ready = ready[ready["currency"].isin(list(currencies))]
    return int(ready["rejects"].sum())
