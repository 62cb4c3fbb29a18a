"""Stock and unit demand per product × stock location, read from the inventory and the daily
product rollup (SQLAlchemy Core): the latest stock on hand, each pair's daily units (store-less
sales at the warehouse that fulfils their region) and the stock positions with their stock-out
risk that the Inventory page and the decision list show.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import func
from sqlalchemy import select

from db.engine import get_engine
from db.rollup_tables import DailyProductRollup
from db.schema import NO_PLACE
from db.schema import Inventory
from db.schema import Location
from db.schema import Product
from forecasting.series import DS

product_rollup = DailyProductRollup.__table__
inventory = Inventory.__table__
location = Location.__table__
product = Product.__table__


def latest_inventory(url: str | None = None) -> pd.DataFrame:
    """Stock on the latest inventory day: ``product_id, sku, product, location_id, location,
    location_name, kind, region_id, on_hand, on_order, day``."""
    latest = select(func.max(inventory.c.day)).scalar_subquery()
    query = (
        select(
            inventory.c.product_id,
            product.c.sku,
            product.c.name.label("product"),
            inventory.c.location_id,
            location.c.code.label("location"),
            location.c.name.label("location_name"),
            location.c.kind,
            location.c.region_id,
            inventory.c.on_hand,
            inventory.c.on_order,
            inventory.c.day,
        )
        .join(product, product.c.id == inventory.c.product_id)
        .join(location, location.c.id == inventory.c.location_id)
        .where(inventory.c.day == latest)
        .order_by(product.c.sku, location.c.code)
    )
    return _frame(query, url)


def _frame(query, url: str | None) -> pd.DataFrame:
    """The query's rows by column name (no columns at all when there are none)."""
    with get_engine(url).connect() as conn:
        return pd.DataFrame(conn.execute(query).mappings().all())


def inventory_history(url: str | None = None) -> pd.DataFrame:
    """Every stock row: ``day, product_id, location_id, on_hand, on_order``."""
    query = select(
        inventory.c.day,
        inventory.c.product_id,
        inventory.c.location_id,
        inventory.c.on_hand,
        inventory.c.on_order,
    )
    frame = _frame(query, url)
    if not frame.empty:
        frame["day"] = pd.to_datetime(frame["day"])
    return frame


def fulfilment_warehouses(url: str | None = None) -> dict[int, int]:
    """Which warehouse ships each region's orders that have no store (online, B2B, phone).

    The database does not record it, so: a warehouse in the region itself; otherwise the
    warehouse whose daily stock draw-down (on days without an arrival) correlates best with
    the region's store-less unit sales; with no stock history, the first warehouse.
    """
    with get_engine(url).connect() as conn:
        places = pd.DataFrame(
            conn.execute(select(location.c.id, location.c.kind, location.c.region_id))
            .mappings()
            .all()
        )
        region_ids = [r for (r,) in conn.execute(select(product_rollup.c.region_id).distinct())]
    if places.empty:
        return {}
    warehouses = places[places["kind"] == "warehouse"]
    if warehouses.empty:
        return {}
    own = dict(zip(warehouses["region_id"], warehouses["id"], strict=False))
    missing = [r for r in region_ids if r not in own and r != NO_PLACE]
    mapping = {r: own[r] for r in region_ids if r in own}
    if not missing:
        return mapping
    draw = _warehouse_drawdown(warehouses["id"].tolist(), url)
    if draw.empty:
        return {**mapping, **{r: int(warehouses["id"].iloc[0]) for r in missing}}
    sales = _storeless_units(draw.index.min(), draw.index.max(), url).reindex(
        draw.index, fill_value=0
    )
    for region in missing:
        if region not in sales.columns:
            mapping[region] = int(warehouses["id"].iloc[0])
            continue
        scores = draw.corrwith(sales[region]).fillna(-1.0)
        mapping[region] = int(scores.idxmax())
    return mapping


def _warehouse_drawdown(warehouse_ids: list[int], url: str | None) -> pd.DataFrame:
    stock = inventory_history(url)
    if stock.empty:
        return pd.DataFrame()
    stock = stock[stock["location_id"].isin(warehouse_ids)].sort_values("day")
    grouped = stock.groupby(["product_id", "location_id"])
    previous = grouped[["on_hand", "on_order"]].shift(1)
    no_arrival = (previous["on_order"] == 0) | (stock["on_order"] >= previous["on_order"])
    stock["draw"] = np.where(
        no_arrival & previous["on_hand"].notna(),
        (previous["on_hand"] - stock["on_hand"]).clip(lower=0),
        np.nan,
    )
    return stock.pivot_table(index="day", columns="location_id", values="draw", aggfunc="sum")


def _storeless_units(first, last, url: str | None) -> pd.DataFrame:
    query = (
        select(product_rollup.c.day, product_rollup.c.region_id, func.sum(product_rollup.c.units))
        .where(product_rollup.c.location_id == NO_PLACE, product_rollup.c.day.between(first, last))
        .group_by(product_rollup.c.day, product_rollup.c.region_id)
    )
    with get_engine(url).connect() as conn:
        frame = pd.DataFrame(conn.execute(query).all(), columns=["day", "region_id", "units"])
    frame["day"] = pd.to_datetime(frame["day"])
    return frame.pivot_table(
        index="day", columns="region_id", values="units", aggfunc="sum"
    ).fillna(0)


def product_demand(
    days: int = 56, end: dt.date | None = None, url: str | None = None
) -> pd.DataFrame:
    """Daily units per product × stock location over the ``days`` days ending ``end`` (default:
    the last inventory day): ``product_id, location_id, ds, units``, complete with zeros, for
    every pair stocked in the inventory. Store sales count at their store; store-less sales
    at the warehouse that fulfils their region (``fulfilment_warehouses``)."""
    stocked = latest_inventory(url)
    if stocked.empty:
        return pd.DataFrame(columns=["product_id", "location_id", DS, "units"])
    end = end or pd.Timestamp(stocked["day"].iloc[0]).date()
    first = end - dt.timedelta(days=days - 1)
    keys = [product_rollup.c[c] for c in ("day", "product_id", "region_id", "location_id")]
    query = (
        select(*keys, func.sum(product_rollup.c.units).label("units"))
        .where(
            product_rollup.c.day.between(first, end),
            product_rollup.c.product_id.in_(stocked["product_id"].unique().tolist()),
        )
        .group_by(*keys)
    )
    sales = _frame(query, url)
    if sales.empty:
        sales = pd.DataFrame(columns=["day", "product_id", "region_id", "location_id", "units"])
    warehouse = fulfilment_warehouses(url)
    storeless = sales["location_id"] == NO_PLACE
    sales.loc[storeless, "location_id"] = sales.loc[storeless, "region_id"].map(warehouse)
    sales = sales.dropna(subset=["location_id"])
    sales["location_id"] = sales["location_id"].astype(int)
    sales["day"] = pd.to_datetime(sales["day"])
    sales["units"] = sales["units"].astype(float)
    per_day = sales.groupby(["product_id", "location_id", "day"], as_index=False)["units"].sum()
    pairs = stocked[["product_id", "location_id"]].drop_duplicates()
    grid = pairs.merge(pd.DataFrame({DS: pd.date_range(first, end, freq="D")}), how="cross")
    out = grid.merge(
        per_day.rename(columns={"day": DS}), on=["product_id", "location_id", DS], how="left"
    )
    out["units"] = out["units"].fillna(0.0)
    return out.sort_values(["product_id", "location_id", DS]).reset_index(drop=True)


def stock_positions(
    horizon: int = 28,
    history_days: int = 28,
    overstock_days: float = 90.0,
    url: str | None = None,
) -> pd.DataFrame:
    """Latest stock per product × location with its demand forecast and stock-out risk.

    The demand forecast of a product at a location is its velocity (mean daily units over the
    last ``history_days``) with the observed day-to-day spread, at least Poisson's: item
    series are too sparse for per-series models. Columns add ``velocity``, ``sd_daily``,
    ``mean_h`` / ``sd_h`` (demand over ``horizon`` days), ``days_of_cover``,
    ``stockout_probability`` (within the horizon), ``stockout_date`` and ``overstock``
    (cover beyond ``overstock_days``).
    """
    from forecasting.stockout import stockout_risk

    stock = latest_inventory(url)
    if stock.empty:
        return stock
    as_of = pd.Timestamp(stock["day"].iloc[0])
    demand = product_demand(history_days, as_of.date(), url)
    velocity = demand.groupby(["product_id", "location_id"])["units"].agg(["mean", "var"])
    velocity["sd"] = np.sqrt(np.maximum(velocity["var"].fillna(0.0), velocity["mean"]))
    out = stock.merge(
        velocity[["mean", "sd"]].rename(columns={"mean": "velocity", "sd": "sd_daily"}),
        left_on=["product_id", "location_id"],
        right_index=True,
        how="left",
    ).fillna({"velocity": 0.0, "sd_daily": 0.0})
    start = as_of + pd.Timedelta(days=1)
    risks = [
        stockout_risk(
            float(row.on_hand),
            np.full(horizon, row.velocity),
            np.full(horizon, max(row.sd_daily, 1e-9)),
            start=start,
        )
        for row in out.itertuples(index=False)
    ]
    out["mean_h"] = out["velocity"] * horizon
    out["sd_h"] = out["sd_daily"] * np.sqrt(horizon)
    out["days_of_cover"] = [r.days_of_cover for r in risks]
    out["stockout_probability"] = [r.probability for r in risks]
    out["stockout_date"] = [r.expected_date for r in risks]
    out["overstock"] = out["days_of_cover"] > overstock_days
    return out
