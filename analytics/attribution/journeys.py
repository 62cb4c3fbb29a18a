"""Journeys from the touch table: touches stitched across devices by customer key.

An order converts the journey of its customer's touches in the ``lookback`` before it that no
earlier order of the customer claimed (each touch goes to the first order at or after it).
Touches that lead to no order within the lookback form null (non-converting) journeys, split
where a touch comes more than a lookback after the first touch of its journey. Orders of the
period convert; touches leading to an order after the period are left out (the journey may
still convert), as are cancelled orders.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select

from analytics.attribution.paths import PathTable
from analytics.attribution.paths import from_steps
from analytics.errors import AnalyticsError
from analytics.periods import Period
from db.engine import get_engine
from db.frames import read_frame
from db.schema import SalesOrder
from db.schema import Touch
from db.schema import Touchpoint

DEFAULT_LOOKBACK_DAYS = 30
DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class Journeys:
    paths: PathTable
    lookback_days: int
    orders: int  # orders of customers known by key in the period
    converted: int  # of those, orders with at least one touch in their lookback
    null_journeys: int


def _utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def read_touches_and_orders(
    period: Period, lookback_days: int, url: str | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    touch, order, touchpoint = Touch.__table__, SalesOrder.__table__, Touchpoint.__table__
    lookback = dt.timedelta(days=lookback_days)
    first, after = _utc(period.start) - lookback, _utc(period.end) + dt.timedelta(days=1)
    touches = (
        select(touch.c.customer_key, touch.c.touched_at, touchpoint.c.name.label("channel"))
        .join(touchpoint, touchpoint.c.id == touch.c.touchpoint_id)
        .where(touch.c.touched_at >= first, touch.c.touched_at < after)
    )
    orders = select(
        order.c.id.label("order_id"),
        order.c.customer_key,
        order.c.ordered_at,
        order.c.order_day,
        order.c.revenue_base,
    ).where(
        order.c.customer_key.is_not(None),
        order.c.status != "cancelled",
        order.c.ordered_at >= first,
        order.c.ordered_at < after + lookback,
    )
    with get_engine(url).connect() as conn:
        return read_frame(conn, touches), read_frame(conn, orders)


def _timestamps(column: pd.Series) -> pd.Series:
    return pd.to_datetime(column, utc=True).astype("datetime64[us, UTC]")


def stitch(
    touches: pd.DataFrame, orders: pd.DataFrame, period: Period, lookback_days: int
) -> Journeys:
    """Journeys from touches (``customer_key, touched_at, channel``) and orders
    (``order_id, customer_key, ordered_at, order_day, revenue_base``)."""
    if lookback_days < 1:
        raise AnalyticsError(f"the lookback window must be at least one day, got {lookback_days}")
    lookback = pd.Timedelta(days=lookback_days)
    touches = touches.assign(touched_at=_timestamps(touches["touched_at"]))
    orders = orders.assign(
        ordered_at=_timestamps(orders["ordered_at"]),
        value=orders["revenue_base"].astype(float),
        in_period=pd.to_datetime(orders["order_day"]).dt.date.between(period.start, period.end),
    )
    matched = pd.merge_asof(
        touches.sort_values("touched_at"),
        orders.sort_values("ordered_at")[["order_id", "customer_key", "ordered_at"]],
        left_on="touched_at",
        right_on="ordered_at",
        by="customer_key",
        direction="forward",
    )
    converting = matched["ordered_at"].notna() & (
        matched["ordered_at"] - matched["touched_at"] <= lookback
    )
    in_period = set(orders.loc[orders["in_period"], "order_id"])
    won = matched[converting & matched["order_id"].isin(in_period)].copy()
    won["journey"] = won["order_id"].astype("int64")
    won["age"] = (won["ordered_at"] - won["touched_at"]) / DAY

    start = pd.Timestamp(_utc(period.start))
    end = pd.Timestamp(_utc(period.end)) + DAY
    lost = matched[
        ~converting & (matched["touched_at"] >= start) & (matched["touched_at"] < end)
    ].copy()
    lost = lost.sort_values(["customer_key", "touched_at"], kind="stable")
    run = lost.groupby(["customer_key", lost["order_id"].fillna(-1)], sort=False)["touched_at"]
    window = ((lost["touched_at"] - run.transform("min")) / lookback).astype("int64")
    lost["journey"] = -(
        lost.groupby(
            [lost["customer_key"], lost["order_id"].fillna(-1), window], sort=False
        ).ngroup()
        + 1
    )
    lost["age"] = (
        lost.groupby("journey")["touched_at"].transform("max") - lost["touched_at"]
    ) / DAY

    steps = pd.concat([won, lost], ignore_index=True).sort_values(
        ["journey", "touched_at"], kind="stable"
    )
    if steps.empty:
        raise AnalyticsError(
            f"no touches between {period.start} and {period.end} (with {lookback_days} days "
            "of lookback)"
        )
    journey, lengths = np.unique(steps["journey"].to_numpy(), return_counts=True)
    values = orders.set_index("order_id")["value"]
    converted = journey > 0
    value = np.where(converted, values.reindex(np.abs(journey)).fillna(0.0).to_numpy(), 0.0)
    known = int(orders["in_period"].sum())
    return Journeys(
        paths=from_steps(
            steps["channel"].to_numpy(dtype=object),
            lengths,
            converted.astype(float),
            value,
            (~converted).astype(float),
            steps["age"].to_numpy(dtype=float),
        ),
        lookback_days=lookback_days,
        orders=known,
        converted=int(converted.sum()),
        null_journeys=int((~converted).sum()),
    )


def load_journeys(
    period: Period, lookback_days: int = DEFAULT_LOOKBACK_DAYS, url: str | None = None
) -> Journeys:
    touches, orders = read_touches_and_orders(period, lookback_days, url)
    return stitch(touches, orders, period, lookback_days)
