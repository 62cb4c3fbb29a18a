"""Series for forecasting, read from the daily rollups (SQLAlchemy Core).

* channel series: daily net revenue (gross less refunds) or orders per channel category or
  touchpoint, or of all channels (``total:all``), with that channel's marketing spend as an
  exogenous column, as complete daily frames (a day without rows is a zero) with ids
  ``<dimension>:<code>:<measure>``; ``hierarchy_series`` reads all three levels at once with
  the hierarchy they form (touchpoints ⊂ categories ⊂ total);
* spend vs revenue per touchpoint, for saturation curves;
* unit demand per product × stock location and the latest stock on hand.

Money leaves the database as Decimal and becomes float here: these frames feed statistical
fits and charts only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import func, literal, select

from db.engine import get_engine
from db.rollup_tables import DailyProductRollup, DailyRollup
from db.schema import NO_PLACE, ChannelCategory, Inventory, Location, Product, Touchpoint
from forecasting.errors import ForecastingError
from forecasting.reconcile import Hierarchy
from forecasting.series import DS, ID, Y

rollup = DailyRollup.__table__
product_rollup = DailyProductRollup.__table__
touchpoint = Touchpoint.__table__
category = ChannelCategory.__table__
inventory = Inventory.__table__
location = Location.__table__
product = Product.__table__

DIMENSIONS = {"category": category, "touchpoint": touchpoint}
TOTAL, ALL = "total", "all"
"""The top of the hierarchy: ``total:all:<measure>``, every channel together."""
MEASURES = ("revenue", "orders")
SPEND = "spend"


@dataclass(frozen=True)
class SeriesId:
    dimension: str
    code: str
    measure: str

    def __str__(self) -> str:
        return f"{self.dimension}:{self.code}:{self.measure}"

    @classmethod
    def parse(cls, unique_id: str) -> SeriesId:
        parts = str(unique_id).split(":")
        if len(parts) != 3:
            raise ForecastingError(f"not a channel series id: {unique_id!r}")
        return cls(*parts)


def _measure_column(measure: str):
    if measure == "revenue":
        return func.sum(rollup.c.gross_revenue) - func.sum(rollup.c.refunds)
    if measure == "orders":
        return func.sum(rollup.c.orders)
    raise ForecastingError(f"unknown measure {measure!r}; choose one of {MEASURES}")


def complete_daily(frame: pd.DataFrame, columns: list[str], first, last) -> pd.DataFrame:
    """One row per ``unique_id`` and day from ``first`` to ``last``; missing days are zeros."""
    days = pd.date_range(first, last, freq="D")
    ids = sorted(frame[ID].unique())
    grid = pd.MultiIndex.from_product([ids, days], names=[ID, DS])
    out = frame.set_index([ID, DS])[columns].reindex(grid, fill_value=0.0).reset_index()
    return out.astype({c: float for c in columns})


def _check_dimension(dimension: str) -> None:
    if dimension not in (*DIMENSIONS, TOTAL):
        raise ForecastingError(
            f"unknown dimension {dimension!r}; choose one of {[*DIMENSIONS, TOTAL]}"
        )


def _daily_sums(dimension: str, measure: str):
    """``ds, code, y, spend`` per day and channel of ``dimension`` from the daily rollup."""
    total = dimension == TOTAL
    code = literal(ALL) if total else DIMENSIONS[dimension].c.code
    return (
        select(
            rollup.c.day.label(DS),
            code.label("code"),
            _measure_column(measure).label(Y),
            func.sum(rollup.c.spend).label(SPEND),
        )
        .select_from(rollup)
        .join(touchpoint, touchpoint.c.id == rollup.c.touchpoint_id)
        .join(category, category.c.id == touchpoint.c.category_id)
        .group_by(*([rollup.c.day] if total else [rollup.c.day, code]))
    )


def channel_series(
    dimension: str,
    measure: str,
    end: dt.date | None = None,
    url: str | None = None,
) -> pd.DataFrame:
    """``unique_id, ds, y, spend`` per channel of ``dimension`` up to ``end`` (default: the last
    day with orders), from the first day with orders. Channels with no activity are left out."""
    _check_dimension(dimension)
    query = _daily_sums(dimension, measure)
    bounds = select(func.min(rollup.c.day), func.max(rollup.c.day)).where(rollup.c.orders > 0)
    with get_engine(url).connect() as conn:
        first, last = conn.execute(bounds).one()
        if first is None:
            raise ForecastingError("no orders in the database yet")
        last = min(pd.Timestamp(last).date(), end) if end else last
        frame = pd.DataFrame(conn.execute(query.where(rollup.c.day <= last)).mappings().all())
    frame[ID] = [str(SeriesId(dimension, c, measure)) for c in frame["code"]]
    frame[DS] = pd.to_datetime(frame[DS])
    frame[Y] = frame[Y].astype(float)
    frame[SPEND] = frame[SPEND].astype(float)
    out = complete_daily(frame, [Y, SPEND], first, last)
    active = out.groupby(ID)[Y].transform(lambda y: (y != 0).any())
    return out[active].reset_index(drop=True)


def planned_spend(
    dimension: str, measure: str, after: dt.date, horizon: int, url: str | None = None
) -> pd.DataFrame:
    """``unique_id, ds, spend``: the marketing spend already booked for the ``horizon`` days
    after ``after`` (ad budgets are set ahead of the sales they buy), per channel with any.

    The forecast takes it as the plan; days without booked spend fall back to the last
    week's spend (``complete_future_exog``)."""
    _check_dimension(dimension)
    last = after + dt.timedelta(days=horizon)
    query = _daily_sums(dimension, measure).where(rollup.c.day > after, rollup.c.day <= last)
    with get_engine(url).connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all(), columns=[DS, "code", Y, SPEND])
    frame = frame[frame[SPEND] > 0]
    return pd.DataFrame(
        {
            ID: [str(SeriesId(dimension, c, measure)) for c in frame["code"]],
            DS: pd.to_datetime(frame[DS]),
            SPEND: frame[SPEND].astype(float),
        }
    ).reset_index(drop=True)


def hierarchy_series(
    measure: str, end: dt.date | None = None, url: str | None = None
) -> tuple[pd.DataFrame, Hierarchy]:
    """The total, category and touchpoint series of ``measure`` (as ``channel_series``) and the
    hierarchy they form: each category sums its touchpoints, the total all of them."""
    frames = [channel_series(d, measure, end, url) for d in (TOTAL, "category", "touchpoint")]
    query = select(touchpoint.c.code, category.c.code).join(
        category, category.c.id == touchpoint.c.category_id
    )
    with get_engine(url).connect() as conn:
        parent = dict(conn.execute(query).all())
    bottom = sorted(frames[2][ID].unique())
    aggregates: dict[str, list[str]] = {str(SeriesId(TOTAL, ALL, measure)): bottom}
    for uid in bottom:
        code = SeriesId.parse(uid).code
        aggregates.setdefault(str(SeriesId("category", parent[code], measure)), []).append(uid)
    hierarchy = Hierarchy(tuple(bottom), {k: tuple(v) for k, v in aggregates.items()})
    return pd.concat(frames, ignore_index=True), hierarchy


def channel_names(url: str | None = None) -> dict[str, str]:
    """Display name of every category and touchpoint series prefix, e.g. ``category:web``,
    and ``total:all`` (all channels)."""
    with get_engine(url).connect() as conn:
        rows = [
            (f"{dimension}:{code}", name)
            for dimension, table in DIMENSIONS.items()
            for code, name in conn.execute(select(table.c.code, table.c.name))
        ]
    return {f"{TOTAL}:{ALL}": "All channels", **dict(rows)}


def spend_and_revenue(url: str | None = None) -> pd.DataFrame:
    """``touchpoint, touchpoint_name, ds, spend, revenue`` per day for every touchpoint that has
    marketing spend (days without rows are zeros)."""
    query = (
        select(
            touchpoint.c.code.label("touchpoint"),
            rollup.c.day.label(DS),
            func.sum(rollup.c.spend).label("spend"),
            (func.sum(rollup.c.gross_revenue) - func.sum(rollup.c.refunds)).label("revenue"),
        )
        .join(touchpoint, touchpoint.c.id == rollup.c.touchpoint_id)
        .group_by(touchpoint.c.code, rollup.c.day)
    )
    with get_engine(url).connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all())
        names = dict(conn.execute(select(touchpoint.c.code, touchpoint.c.name)).all())
    if frame.empty:
        return pd.DataFrame(columns=["touchpoint", "touchpoint_name", DS, "spend", "revenue"])
    frame[DS] = pd.to_datetime(frame[DS])
    frame = frame.rename(columns={"touchpoint": ID})
    out = complete_daily(frame, ["spend", "revenue"], frame[DS].min(), frame[DS].max())
    out = out.rename(columns={ID: "touchpoint"})
    with_spend = out.groupby("touchpoint")["spend"].transform("sum") > 0
    out = out[with_spend].reset_index(drop=True)
    out.insert(1, "touchpoint_name", out["touchpoint"].map(names))
    return out


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
    with get_engine(url).connect() as conn:
        frame = pd.DataFrame(conn.execute(query).mappings().all())
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
    query = (
        select(
            product_rollup.c.day,
            product_rollup.c.product_id,
            product_rollup.c.region_id,
            product_rollup.c.location_id,
            func.sum(product_rollup.c.units).label("units"),
        )
        .where(
            product_rollup.c.day.between(first, end),
            product_rollup.c.product_id.in_(stocked["product_id"].unique().tolist()),
        )
        .group_by(
            product_rollup.c.day,
            product_rollup.c.product_id,
            product_rollup.c.region_id,
            product_rollup.c.location_id,
        )
    )
    with get_engine(url).connect() as conn:
        sales = pd.DataFrame(conn.execute(query).mappings().all())
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


def demand_shifts(
    actuals: pd.DataFrame, forecasts: pd.DataFrame, threshold: float, recent_days: int = 56
) -> pd.DataFrame:
    """Each series' share of the total in its recent actuals (last ``recent_days``) and in its
    forecast; ``flagged`` where the share moves by more than ``threshold`` (e.g. 0.02 = 2
    points). Inputs are long frames (``unique_id, ds, y`` and ``unique_id, ds, yhat``)."""
    last = actuals[DS].max()
    recent = actuals[actuals[DS] > last - pd.Timedelta(days=recent_days)].groupby(ID)[Y].sum()
    ahead = forecasts.groupby(ID)["yhat"].sum().clip(lower=0)
    shared = recent.index.intersection(ahead.index)
    out = pd.DataFrame(
        {
            "recent_share": recent[shared] / recent[shared].sum(),
            "forecast_share": ahead[shared] / ahead[shared].sum(),
        }
    )
    out["change"] = out["forecast_share"] - out["recent_share"]
    out["flagged"] = out["change"].abs() > threshold
    return out.reset_index().rename(columns={"index": ID})
