"""Reference data the sources do not carry, applied to a batch before it loads.

The connectors give what the payload says. No source gives an exchange rate, SAP and
Salesforce give no region, and no source gives a product's cost; the retailer's
reference tables do:

- **exchange rate**: an order in a currency other than the base currency, without a
  rate from its source, takes the latest ``exchange_rate`` on or before its order day
  (in the reporting time zone), at most ``MAX_RATE_AGE`` old. An order with no usable
  rate is refused with the reason, never loaded with a wrong one; ad spend likewise.
- **region**: an order whose ``region_code`` names no known region and whose store has
  none takes the region of its ``region_key`` ("kind=value", e.g. ``sales_org=1010``)
  from ``region_mapping``: the source's own row first, then the one for every source ("*").
- **unit cost**: a line without a cost (0) takes its product's ``unit_cost`` (base
  currency) converted into the order's currency at the order's rate.

Everything is vectorised over the batch (merges, ``merge_asof``): this runs on every page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Connection
from sqlalchemy import select

from db.schema import ExchangeRate
from db.schema import Product
from db.schema import Region
from db.schema import RegionMapping
from db.settings import get_settings
from ingestion.batch import ORDER_KEY
from ingestion.batch import OrderBatch
from ingestion.columnar.shapes import ORDER_MONEY
from ingestion.money import EXACT_CENTS
from ingestion.reference import Lookups

MAX_RATE_AGE = dt.timedelta(days=7)
ANY_SOURCE = "*"
NO_RATE = "no exchange rate for "
# The currency and the day of a reject's reason (a file row's reason starts with its line).
NO_RATE_REASON = re.compile(rf"{NO_RATE}([A-Z]{{3}}) on or before (\d{{4}}-\d{{2}}-\d{{2}})")


# --- exchange rates ---------------------------------------------------------------------


def _rate_table(conn: Connection, currencies: Iterable[str], first, last) -> pd.DataFrame:
    """The stored rates of ``currencies`` from ``MAX_RATE_AGE`` before ``first`` to ``last``."""
    table = ExchangeRate.__table__
    rows = conn.execute(
        select(table.c.day, table.c.currency, table.c.rate).where(
            table.c.currency.in_(sorted(set(currencies))),
            table.c.day >= (first - MAX_RATE_AGE).date(),
            table.c.day <= last.date(),
        )
    ).all()
    return pd.DataFrame(
        {
            "rate_day": pd.to_datetime([r.day for r in rows]).astype("datetime64[ns]"),
            "currency": pd.Series([r.currency for r in rows], dtype=object),
            "rate": pd.Series([float(r.rate) for r in rows], dtype="float64"),
        }
    )


def rates_on(conn: Connection, currency: pd.Series, day: pd.Series) -> pd.Series:
    """Base currency per unit of ``currency`` on each ``day`` (datetime64, midnight): 1 for
    the base currency, else the latest stored rate at most ``MAX_RATE_AGE`` before; NaN if none."""
    base = get_settings().base_currency
    rate = pd.Series(np.where(currency == base, 1.0, np.nan), index=currency.index)
    foreign = currency != base
    if not foreign.any():
        return rate
    wanted = pd.DataFrame(
        {
            "row": currency.index[foreign],
            "day": day[foreign].astype("datetime64[ns]").to_numpy(),
            "currency": pd.Series(currency[foreign].to_numpy(), dtype=object),
        }
    ).sort_values("day", kind="stable")
    stored = _rate_table(conn, wanted["currency"], wanted["day"].min(), wanted["day"].max())
    if stored.empty:
        return rate
    found = pd.merge_asof(
        wanted,
        stored.sort_values("rate_day"),
        left_on="day",
        right_on="rate_day",
        by="currency",
        direction="backward",
        tolerance=pd.Timedelta(MAX_RATE_AGE),
    ).set_index("row")["rate"]
    rate.loc[found.index] = found
    return rate


def no_rate_reason(currency: str, day: pd.Timestamp) -> str:
    return (
        f"{NO_RATE}{currency} on or before {day.date().isoformat()} "
        f"(within {MAX_RATE_AGE.days} days)"
    )


def _fill_rates(conn: Connection, frame: pd.DataFrame, day: pd.Series) -> pd.Series:
    """The frame's ``fx_rate`` with the missing ones (NaN) taken from the rate table."""
    given = frame["fx_rate"].astype("float64")
    missing = given.isna()
    if not missing.any():
        return given
    looked_up = rates_on(conn, frame.loc[missing, "currency"], day[missing])
    return given.fillna(looked_up)


def _reasons(frame: pd.DataFrame, day: pd.Series, unresolved: pd.Series) -> pd.Series:
    return pd.Series(
        [
            no_rate_reason(c, d)
            for c, d in zip(frame.loc[unresolved, "currency"], day[unresolved], strict=True)
        ],
        index=frame.index[unresolved],
        dtype=object,
    )


def _too_large_in_base(orders: pd.DataFrame) -> pd.Series:
    """Why each order whose amounts, converted, pass what the base currency holds exactly (a
    large rate, a large amount) is quarantined, not a failed load; by order."""
    minor = orders[[f"{name}_minor" for name in ORDER_MONEY]].abs().max(axis=1)
    largest = minor.astype("float64") * orders["fx_rate"].astype("float64")
    base = get_settings().base_currency
    return pd.Series(
        {
            order: f"in {base} its amounts reach {cents / 100:,.2f}, more than can be stored "
            f"({EXACT_CENTS / 100:,.2f} at most)"
            for order, cents in largest[largest > EXACT_CENTS].items()
        },
        dtype=object,
    )


def local_days(timestamps: pd.Series, tz: ZoneInfo | None = None) -> pd.Series:
    """Each timestamp's calendar day in ``tz`` (default: the reporting time zone), as naive
    midnight datetimes."""
    local = pd.to_datetime(timestamps, utc=True).dt.tz_convert(tz or get_settings().tz)
    return local.dt.tz_localize(None).dt.normalize()


def required_rates(frame: pd.DataFrame, what: str) -> pd.Series:
    """The ``fx_rate`` of a frame about to load: a missing rate of the base currency is 1;
    any other missing rate is an error (the caller skipped ``enrich_orders`` / ``enrich_spend``)."""
    base = get_settings().base_currency
    rate = frame["fx_rate"].astype("float64")
    rate = rate.where(rate.notna() | (frame["currency"] != base), 1.0)
    if rate.isna().any():
        currencies = sorted(frame.loc[rate.isna(), "currency"].unique())
        raise ValueError(
            f"{int(rate.isna().sum())} {what} in {', '.join(currencies)} have no exchange rate: "
            "enrich them from the reference tables first (ingestion.enrich)"
        )
    return rate


# --- regions ----------------------------------------------------------------------------


def _region_mappings(conn: Connection) -> pd.DataFrame:
    mapping, region = RegionMapping.__table__, Region.__table__
    rows = conn.execute(
        select(mapping.c.source_system, mapping.c.kind, mapping.c.value, region.c.code).join(
            region, region.c.id == mapping.c.region_id
        )
    ).all()
    return pd.DataFrame(rows, columns=["source_system", "kind", "value", "mapped"], dtype=object)


def _fill_regions(conn: Connection, orders: pd.DataFrame, lookups: Lookups) -> pd.Series:
    """Each order's region code: its store's region, else the ``region_code`` given if it is a
    known region, else the mapped region of its ``region_key``, else the code as given."""
    code_of_id = {id_: code for code, id_ in lookups.region.items()}
    from_store = orders["location_code"].map(lookups.location_region).map(code_of_id)
    given = orders["region_code"]
    region = from_store.where(from_store.notna(), given)
    open_ = from_store.isna() & ~given.isin(list(lookups.region)) & orders["region_key"].notna()
    if not open_.any():
        return region
    mappings = _region_mappings(conn)
    if mappings.empty:
        return region
    parts = orders.loc[open_, "region_key"].astype(str).str.partition("=")
    wanted = pd.DataFrame(
        {
            "source_system": orders.loc[open_, "source_system"].astype(object),
            "kind": parts[0].astype(object),
            "value": parts[2].astype(object),
        }
    )
    keys = ["kind", "value"]
    # Left merges keep the left rows' order, and the mapping is unique on its key.
    own = wanted.merge(mappings, on=["source_system", *keys], how="left")["mapped"]
    shared = mappings[mappings["source_system"] == ANY_SOURCE].drop(columns="source_system")
    anyone = wanted.merge(shared, on=keys, how="left")["mapped"]
    mapped = pd.Series(own.fillna(anyone).to_numpy(), index=wanted.index).dropna()
    region.loc[mapped.index] = mapped
    return region


# --- unit costs -------------------------------------------------------------------------


def _product_costs(conn: Connection, skus: pd.Series) -> pd.Series:
    """Unit cost in base-currency minor units per SKU, for the known products with a cost."""
    table = Product.__table__
    rows = conn.execute(
        select(table.c.sku, table.c.unit_cost).where(
            table.c.sku.in_(sorted(set(skus))), table.c.unit_cost > 0
        )
    ).all()
    return pd.Series(
        {sku: int(cost * 100) for sku, cost in rows}, dtype="int64", name="base_cost_minor"
    )


def _fill_costs(conn: Connection, lines: pd.DataFrame, orders: pd.DataFrame) -> pd.Series:
    """Line unit costs (order currency, minor units), the missing ones (0) from the product."""
    cost = lines["unit_cost_minor"].astype("int64")
    missing = cost == 0
    if not missing.any():
        return cost
    base_cost = lines.loc[missing, "sku"].map(_product_costs(conn, lines.loc[missing, "sku"]))
    rate = lines.loc[missing, ORDER_KEY].merge(
        orders[[*ORDER_KEY, "fx_rate"]], on=ORDER_KEY, how="left"
    )["fx_rate"]
    local = np.rint(base_cost.to_numpy(dtype="float64") / rate.to_numpy(dtype="float64"))
    found = pd.Series(local, index=base_cost.index).dropna()
    filled = cost.copy()
    filled.loc[found.index] = found.astype("int64")
    return filled


# --- batches ----------------------------------------------------------------------------


def enrich_orders(
    conn: Connection, batch: OrderBatch, lookups: Lookups | None = None
) -> tuple[OrderBatch, pd.DataFrame]:
    """The batch with regions, exchange rates and unit costs filled in from the reference
    tables, and the orders refused for want of a rate (their rows plus a ``reason``)."""
    if not len(batch):
        return batch, batch.orders.assign(reason=pd.Series(dtype=object))
    lookups = lookups or Lookups.load(conn)
    orders = batch.orders.copy()
    orders["region_code"] = _fill_regions(conn, orders, lookups)
    day = local_days(orders["ordered_at"])
    orders["fx_rate"] = _fill_rates(conn, orders, day)
    unresolved = orders["fx_rate"].isna()
    reasons = _reasons(orders, day, unresolved)
    too_large = _too_large_in_base(orders[~unresolved])
    if len(too_large):
        reasons = pd.concat([reasons, too_large])
        unresolved |= orders.index.isin(too_large.index)
    refused = orders[unresolved].assign(reason=reasons)
    lines, refunds = batch.lines, batch.refunds
    if unresolved.any():
        orders = orders[~unresolved]
        kept = pd.MultiIndex.from_frame(orders[ORDER_KEY])
        lines = lines[pd.MultiIndex.from_frame(lines[ORDER_KEY]).isin(kept)]
        refunds = refunds[pd.MultiIndex.from_frame(refunds[ORDER_KEY]).isin(kept)]
    if len(lines):
        lines = lines.assign(unit_cost_minor=_fill_costs(conn, lines, orders))
    return OrderBatch(orders, lines, refunds), refused


def enrich_spend(conn: Connection, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Ad spend with the missing exchange rates filled in, and the reason for each row
    (same index) that has no usable rate: those rows are left out of the frame."""
    if frame.empty:
        return frame, pd.Series(dtype=object)
    day = pd.to_datetime(frame["day"]).astype("datetime64[ns]")
    filled = frame.assign(fx_rate=_fill_rates(conn, frame, day))
    unresolved = filled["fx_rate"].isna()
    return filled[~unresolved], _reasons(filled, day, unresolved)
