"""Daily price and volume panels from the order lines, and elasticities per channel and per
product category with weekday, season, holiday and promotion controls.

The demand model regresses a (channel, category, day) cell's units on its price index: each
line's net unit price over its product's usual price in that region and channel (the mean
over the period), averaged over the cell's units. A plain unit value (revenue over units)
would mix products: busy days sell more of the dear products too, which reads as demand
rising with price. A promotion day is one where discounts took more than ``PROMO_SHARE`` off
the list value. Per channel the categories are pooled with a category indicator (and per
category the channels with a channel indicator). ``price`` stays the cell's net unit price in
the base currency: what the recommendation moves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Float
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import select

from analytics.errors import AnalyticsError
from analytics.periods import Period
from analytics.pricing.elasticity import RESULT_COLUMNS
from analytics.pricing.elasticity import estimate_elasticity
from db.engine import get_engine
from db.frames import read_frame
from db.schema import OrderLine
from db.schema import Product
from db.schema import SalesOrder
from db.schema import Touchpoint
from forecasting.features import holiday_flag

PROMO_SHARE = 0.02
HOLIDAY_COUNTRY = "US"
CONTROLS = ["weekday", "month", "holiday", "promo"]


def price_panel(period: Period, url: str | None = None) -> pd.DataFrame:
    """``channel, channel_name, category, day, units, revenue, cost, list_value, price,
    unit_cost, price_index`` plus the controls, one row per channel × category × day with
    units sold."""
    line, order = OrderLine.__table__, SalesOrder.__table__
    product, touchpoint = Product.__table__, Touchpoint.__table__
    fx = order.c.fx_rate
    unit_price = cast(line.c.line_total, Float) / line.c.qty
    usual = func.avg(unit_price).over(
        partition_by=[line.c.product_id, order.c.region_id, order.c.touchpoint_id]
    )
    lines = (
        select(
            touchpoint.c.code.label("channel"),
            touchpoint.c.name.label("channel_name"),
            product.c.category,
            order.c.order_day.label("day"),
            line.c.qty,
            (line.c.line_total * fx).label("revenue"),
            (line.c.unit_cost * line.c.qty * fx).label("cost"),
            (line.c.unit_price * line.c.qty * fx).label("list_value"),
            (unit_price / func.nullif(usual, 0) * line.c.qty).label("relative"),
        )
        .join(order, order.c.id == line.c.order_id)
        .join(product, product.c.id == line.c.product_id)
        .join(touchpoint, touchpoint.c.id == order.c.touchpoint_id)
        .where(
            order.c.status != "cancelled",
            order.c.order_day.between(period.start, period.end),
            line.c.qty > 0,
        )
        .subquery()
    )
    keys = [lines.c.channel, lines.c.channel_name, lines.c.category, lines.c.day]
    query = select(
        *keys,
        func.sum(lines.c.qty).label("units"),
        func.sum(lines.c.revenue).label("revenue"),
        func.sum(lines.c.cost).label("cost"),
        func.sum(lines.c.list_value).label("list_value"),
        func.sum(lines.c.relative).label("relative"),
    ).group_by(*keys)
    with get_engine(url).connect() as conn:
        frame = read_frame(conn, query)
    if frame.empty:
        return frame
    for column in ("units", "revenue", "cost", "list_value", "relative"):
        frame[column] = frame[column].astype(float)
    frame = frame[(frame["units"] > 0) & (frame["revenue"] > 0)].reset_index(drop=True)
    days = pd.to_datetime(frame["day"])
    frame["price"] = frame["revenue"] / frame["units"]
    frame["unit_cost"] = frame["cost"] / frame["units"]
    frame["price_index"] = frame["relative"] / frame["units"]
    frame["weekday"] = days.dt.day_name()
    frame["month"] = days.dt.month_name()
    frame["holiday"] = holiday_flag(days, HOLIDAY_COUNTRY)
    discount = 1 - frame["revenue"] / frame["list_value"].where(frame["list_value"] > 0)
    frame["promo"] = (discount.fillna(0) > PROMO_SHARE).astype(int)
    return frame.drop(columns="relative")


def _estimates(panel: pd.DataFrame, by: str, pooled: str) -> pd.DataFrame:
    """One elasticity per value of ``by``; a value the data cannot support gets its reason
    in ``warning`` and no estimate."""
    rows = []
    for name, part in panel.groupby(by, sort=True):
        controls = [c for c in CONTROLS if part[c].nunique() > 1]
        if part[pooled].nunique() > 1:
            controls.append(pooled)
        try:
            result = estimate_elasticity(part, "price_index", "units", controls=controls)
            row = {c: getattr(result, c) for c in RESULT_COLUMNS}
        except AnalyticsError as exc:
            row = dict.fromkeys(RESULT_COLUMNS, np.nan) | {
                "method": "ols",
                "n": len(part),
                "warning": f"no estimate: {exc}",
            }
        units = part["units"].sum()
        rows.append(
            {
                by: name,
                **row,
                "units": units,
                "price": part["revenue"].sum() / units,
                "unit_cost": part["cost"].sum() / units,
                "price_spread": float(np.log(part["price"]).std()),
            }
        )
    return pd.DataFrame(rows)


def channel_elasticities(panel: pd.DataFrame) -> pd.DataFrame:
    """Per channel (categories pooled): the elasticity columns plus ``channel_name, units,
    price, unit_cost, price_spread`` over the panel's period."""
    if panel.empty:
        raise AnalyticsError("no order lines in this period")
    names = panel.drop_duplicates("channel").set_index("channel")["channel_name"]
    frame = _estimates(panel, "channel", "category")
    frame.insert(1, "channel_name", frame["channel"].map(names))
    return frame


def category_elasticities(panel: pd.DataFrame) -> pd.DataFrame:
    """Per product category (channels pooled)."""
    if panel.empty:
        raise AnalyticsError("no order lines in this period")
    return _estimates(panel, "category", "channel")
