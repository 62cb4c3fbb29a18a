"""What the AOV deviation tests and basket drivers read: order-value samples and basket lines.

The deviation test (``aov_deviation_flags``) needs order-value distributions, so
this module reads a bounded, deterministic sample of orders per channel from
``sales_order`` by its hash slots (net of tax, cancelled orders left out; refunds are not
part of an order's value here), binned on a log scale as stored (``sales_order.value_bin``).
The basket drivers come from the basket rollups (units and revenue per product category):
AOV of the basket (product-line revenue per order, before shipping and order-level
adjustments) split into units per order, product mix and price within category
(``basket_drivers``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sqlalchemy import ARRAY
from sqlalchemy import BigInteger
from sqlalchemy import Float
from sqlalchemy import SmallInteger
from sqlalchemy import any_
from sqlalchemy import bindparam
from sqlalchemy import case
from sqlalchemy import cast
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import union_all
from sqlalchemy.dialects.postgresql import aggregate_order_by

from analytics.channels import check_level
from analytics.channels import touchpoint
from analytics.periods import Period
from analytics.rollup import DIMENSIONS
from analytics.rollup import Filters
from analytics.rollup import answering_rollup
from analytics.rollup import base_query
from analytics.rollup import rollup_sums
from analytics.rollup import summed_over_period
from db.engine import get_engine
from db.frames import read_frame
from db.rollup_tables import DailyBasketRollup
from db.rollup_tables import DailyChannelBasketRollup
from db.schema import SAMPLE_SLOTS
from db.schema import VALUE_BINS
from db.schema import SalesOrder

# Orders per channel and period for the deviation test: on order values as spread as the
# demo's (CV ≈ 0.9), binned as stored, a 5 % shift in AOV (the smallest flagged) is found at
# p < 0.01 in 97 % of simulated draws of 10,000 a side (72 % of draws of 5,000), a 7 % shift
# in all of them. The AOVs and order counts shown are exact, from the rollup.
SAMPLE_LIMIT = 10_000

order = SalesOrder.__table__
basket_rollup = DailyBasketRollup.__table__
channel_basket_rollup = DailyChannelBasketRollup.__table__


def order_values(
    period: Period,
    level: str = "category",
    filters: Filters | None = None,
    limit: int = SAMPLE_LIMIT,
    url: str | None = None,
    with_revenue: bool = True,
) -> pd.DataFrame:
    """``channel, order_value, orders, revenue``: a histogram of about ``limit`` orders per
    channel, the same ones on every call (``revenue`` left out unless ``with_revenue``).

    A channel's sample is its orders in the first ``k`` of the ``SAMPLE_SLOTS`` hash
    slots (``sales_order.sample_slot``), with ``k`` the fewest expected to hold
    ``limit`` orders by the rollup's order count (every slot for a smaller channel).
    The slot index reads just those orders, so the cost follows the sample size, not
    the period's order count. Each bin (``VALUE_BINS``, 0.5 % wide) comes with its order
    count and exact revenue.
    """
    sums = channel_sums(period, level, filters, url)
    return sized_sample(sums, period, level, filters, limit, url, with_revenue)


def sized_sample(
    sums: pd.DataFrame,
    period: Period,
    level: str,
    filters: Filters | None,
    limit: int,
    url: str | None,
    with_revenue: bool,
) -> pd.DataFrame:
    """``order_values`` with the period's rollup ``sums`` (per channel and touchpoint) given."""
    rows = [
        (channel, code, orders)
        for channel, code, orders in zip(
            sums[level], sums["touchpoint"], sums["orders"], strict=True
        )
        if orders > 0
    ]
    channel_orders: dict[str, float] = {}
    for channel, _, orders in rows:
        channel_orders[channel] = channel_orders.get(channel, 0.0) + orders
    slots = {
        channel: min(SAMPLE_SLOTS, math.ceil(SAMPLE_SLOTS * limit / orders))
        for channel, orders in channel_orders.items()
    }
    touchpoint_slots: dict[str, int] = {}
    touchpoint_channels: dict[str, set[str]] = {}
    for channel, code, _ in rows:
        touchpoint_slots[code] = max(touchpoint_slots.get(code, 0), slots[channel])
        touchpoint_channels.setdefault(code, set()).add(channel)
    shared = any(len(channels) > 1 for channels in touchpoint_channels.values())
    return _binned_sample(
        period, level, filters, slots, touchpoint_slots, shared, url, with_revenue
    )


def _binned_sample(
    period: Period,
    level: str,
    filters: Filters | None,
    channel_slots: dict[str, int],
    touchpoint_slots: dict[str, int],
    shared: bool,
    url: str | None,
    with_revenue: bool,
) -> pd.DataFrame:
    """The histogram of each channel's orders in its first ``channel_slots`` slots.

    Index-only ranges per touchpoint over its first ``touchpoint_slots`` slots (the most any
    of its channels needs), one statement part per slot count. When touchpoints are
    ``shared`` by channels (regions, stores), each order is first bounded by its own
    channel's count; at category or touchpoint level a touchpoint's count is its channel's.
    Sorted by channel and bin, so it is the same on every call. Summing each bin's NUMERIC
    revenue is about a seventh of the read: the AOV view takes its AOVs from the rollup and
    skips it.
    """
    columns = ["channel", "order_value", "orders", "revenue"][: 4 if with_revenue else 3]
    if not touchpoint_slots:
        return pd.DataFrame(columns=columns)
    engine = get_engine(url)
    code_of = DIMENSIONS[level][0]
    touchpoints_of: dict[int, list[str]] = {}
    for code, count in sorted(touchpoint_slots.items()):
        touchpoints_of.setdefault(count, []).append(code)
    parts = []
    for count, codes in sorted(touchpoints_of.items()):
        part = base_query(period, filters or Filters(), order, day=order.c.order_day).where(
            touchpoint.c.code.in_(codes),
            # Even when every slot is read: the slot list keeps the plan on the sample index
            # (the touchpoint is joined by code, so the planner cannot tell how few orders it
            # has, and without the list it scanned every order of the period by day).
            _in_slots(engine.dialect.name, f"slots_{count}", count),
            order.c.status != "cancelled",
        )
        if shared:
            part = part.where(order.c.sample_slot < case(channel_slots, value=code_of, else_=0))
        revenue = [func.sum(order.c.revenue_base).label("revenue")] if with_revenue else []
        parts.append(
            part.add_columns(
                code_of.label("channel"),
                order.c.value_bin.label("bin"),
                func.count().label("orders"),
                *revenue,
            ).group_by(code_of, order.c.value_bin)
        )
    sample = union_all(*parts).subquery()
    revenue = [cast(func.sum(sample.c.revenue), Float).label("revenue")] if with_revenue else []
    binned = select(
        sample.c.channel,
        sample.c.bin,
        cast(func.sum(sample.c.orders), BigInteger).label("orders"),
        *revenue,
    ).group_by(sample.c.channel, sample.c.bin)
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # Both periods are read side by side already: a parallel plan's workers start in
            # ~15 ms and compete for the same cores, for a read that takes ~20 ms serially.
            conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
            frame = _read_histograms(conn, binned.subquery())
        else:
            frame = read_frame(conn, binned.order_by(sample.c.channel, sample.c.bin))
    frame["order_value"] = np.exp(frame["bin"].to_numpy(dtype="float64") / VALUE_BINS)
    frame["orders"] = frame["orders"].astype("int64")
    if with_revenue:
        frame["revenue"] = frame["revenue"].astype("float64")
    return frame[columns]


def _read_histograms(conn, binned) -> pd.DataFrame:
    """``binned`` (channel, bin, measures…) read as one row per channel of arrays in bin order.

    Some thousands of (channel, bin) rows cost more in Python, as SQLAlchemy rows and then
    a frame, than the database takes to read the sample; a few rows of arrays cost little.
    """
    names = [column.name for column in binned.c if column.name != "channel"]
    arrays = [
        func.array_agg(aggregate_order_by(binned.c[name], binned.c.bin)).label(name)
        for name in names
    ]
    query = select(binned.c.channel, *arrays).group_by(binned.c.channel).order_by(binned.c.channel)
    rows = conn.execute(query).all()
    lengths = [len(row[1]) for row in rows]
    data = {"channel": np.repeat([row[0] for row in rows], lengths).astype(object)}
    for position, name in enumerate(names, start=1):
        data[name] = np.concatenate([row[position] for row in rows]) if rows else []
    return pd.DataFrame(data)


def _in_slots(dialect: str, name: str, count: int):
    """``sample_slot`` among the first ``count`` slots, one index descent per slot.

    On PostgreSQL as ``= ANY`` of one array parameter: an IN list of up to 1,024 literals per
    touchpoint cost more to render and parse than the read itself.
    """
    slots = list(range(count))
    if dialect == "postgresql":
        return order.c.sample_slot == any_(bindparam(name, slots, type_=ARRAY(SmallInteger)))
    return order.c.sample_slot.in_(bindparam(name, slots, expanding=True))


def basket_lines(
    period: Period, level: str = "category", filters: Filters | None = None, url: str | None = None
) -> pd.DataFrame:
    """``channel, product_category, orders, units, revenue`` from the basket rollups.

    ``orders`` are each channel's orders (non-cancelled, from the daily rollup)
    attributed to its product categories in proportion to their units, so they sum
    to the channel's orders as ``basket_drivers`` expects.
    """
    return attributed_orders(
        basket_sums(period, level, filters, url), channel_sums(period, level, filters, url), level
    )


def basket_sums(
    period: Period, level: str, filters: Filters | None, url: str | None
) -> pd.DataFrame:
    """``channel, product_category, units, revenue`` summed over the period."""
    filters = filters or Filters()
    source = answering_rollup((level,), filters, basket_rollup, channel_basket_rollup)
    summed = summed_over_period(source, period, ("units", "revenue"))
    channel = DIMENSIONS[level][0].label("channel")
    query = (
        base_query(None, filters, summed)
        .add_columns(
            channel,
            summed.c.product_category,
            func.sum(summed.c.units).label("units"),
            func.sum(summed.c.revenue).label("revenue"),
        )
        .group_by(channel, summed.c.product_category)
        .order_by(channel, summed.c.product_category)
    )
    with get_engine(url).connect() as conn:
        frame = read_frame(conn, query)
    frame["units"] = frame["units"].astype("float64")
    frame["revenue"] = frame["revenue"].astype("float64")
    return frame


def attributed_orders(frame: pd.DataFrame, sums: pd.DataFrame, level: str) -> pd.DataFrame:
    """``frame`` (basket sums) with each channel's orders from ``sums`` spread over its
    product categories by units."""
    orders = sums.groupby(level)["orders"].sum()
    key_units = frame.groupby("channel")["units"].transform("sum")
    frame["orders"] = (
        frame["channel"].map(orders).fillna(0.0) * frame["units"] / key_units.where(key_units > 0)
    ).fillna(0.0)
    # A channel's orders without any product line cannot be attributed: leave it out.
    return frame[frame["channel"].isin(orders.index)].reset_index(drop=True)


def channel_sums(
    period: Period, level: str, filters: Filters | None, url: str | None
) -> pd.DataFrame:
    """The rollup per channel and touchpoint: every read of this module shares it (memoised)."""
    check_level(level)
    return rollup_sums(period, tuple(dict.fromkeys((level, "touchpoint"))), filters, url)
