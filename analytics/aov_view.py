"""AOV deviations for the Contribution page: which channels' order values moved, and why.

The deviation test (``aov_deviation_flags``) needs order-value distributions, so
this module reads a bounded, deterministic sample of orders per channel from
``sales_order`` by its hash slots (net of tax, cancelled orders left out; refunds are not part of an
order's value here). The basket drivers come from the daily basket rollup (units and
revenue per product category): AOV of the basket (product-line revenue per order, before
shipping and order-level adjustments) split into units per order, product mix and
price within category (``basket_drivers``).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Float, bindparam, case, cast, func, literal, select, true, union_all

from analytics.aov import aov_deviation_flags, basket_drivers
from analytics.cache import memoise, with_comparisons
from analytics.errors import AnalyticsError
from analytics.periods import Period, compare_periods
from analytics.rollup import Filters, category, location, region, rollup_sums, touchpoint
from analytics.trends_view import CHANNEL_LEVELS
from db.engine import get_engine
from db.frames import read_frame
from db.schema import NO_PLACE, SAMPLE_SLOTS, DailyBasketRollup, SalesOrder

# Orders per channel and period for the deviation test: a 5 % AOV shift (the smallest flagged)
# on order values as spread as the demo's (CV ≈ 0.9) is found at p < 0.01 in nearly every
# draw of 20,000 a side, and in about half of the draws of 5,000.
SAMPLE_LIMIT = 20_000
# Order values are binned on a log scale for the rank test: bin = round(ln(value) × VALUE_BINS),
# 0.5 % wide; orders of value 0 or less share ZERO_BIN, below every other.
VALUE_BINS = 200
ZERO_BIN = -100_000

order = SalesOrder.__table__
basket_rollup = DailyBasketRollup.__table__

_CODES = {
    "category": category.c.code,
    "touchpoint": touchpoint.c.code,
    "region": func.coalesce(region.c.code, literal("none")),
    "location": func.coalesce(location.c.code, literal("none")),
}


def _joined(fact, region_on, location_on):
    return (
        fact.join(touchpoint, touchpoint.c.id == fact.c.touchpoint_id)
        .join(category, category.c.id == touchpoint.c.category_id)
        .outerjoin(region, region_on)
        .outerjoin(location, location_on)
    )


def _filtered(query, filters: Filters):
    for values, level in (
        (filters.categories, "category"),
        (filters.touchpoints, "touchpoint"),
        (filters.regions, "region"),
        (filters.locations, "location"),
    ):
        if values:
            query = query.where(_CODES[level].in_(values))
    return query


def order_values(
    period: Period,
    level: str = "category",
    filters: Filters | None = None,
    limit: int = SAMPLE_LIMIT,
    url: str | None = None,
) -> pd.DataFrame:
    """``channel, order_value, orders, revenue``: a histogram of about ``limit`` orders per
    channel, the same ones on every call.

    A channel's sample is its orders in the first ``k`` of the ``SAMPLE_SLOTS`` hash
    slots (``sales_order.sample_slot``), with ``k`` the fewest expected to hold
    ``limit`` orders by the rollup's order count (every slot for a smaller channel).
    The slot index reads just those orders, so the cost follows the sample size, not
    the period's order count. The database bins them (``VALUE_BINS``) and sends each
    bin's order count and exact revenue, so the rank test sees ties within 0.5 % and the
    AOV stays exact.
    """
    if level not in CHANNEL_LEVELS:
        raise AnalyticsError(f"unknown channel level {level!r}")
    levels = tuple(dict.fromkeys((level, "touchpoint")))
    counts = rollup_sums(period, levels, filters, url)
    counts = counts[counts["orders"] > 0]
    channel_orders = counts.groupby(level)["orders"].sum()
    slots = {
        channel: min(SAMPLE_SLOTS, math.ceil(SAMPLE_SLOTS * limit / orders))
        for channel, orders in channel_orders.items()
    }
    per_touchpoint = counts[level].map(slots).groupby(counts["touchpoint"]).max()
    return _binned_sample(period, level, filters, slots, per_touchpoint.to_dict(), url)


def _binned_sample(
    period: Period,
    level: str,
    filters: Filters | None,
    channel_slots: dict[str, int],
    touchpoint_slots: dict[str, int],
    url: str | None,
) -> pd.DataFrame:
    """The histogram of each channel's orders in its first ``channel_slots`` slots.

    One index-only range per touchpoint over its first ``touchpoint_slots`` slots (the
    most any of its channels needs), then each channel's own slot bound; sorted by
    channel and bin so it is the same on every call.
    """
    columns = ["channel", "order_value", "orders", "revenue"]
    if not touchpoint_slots:
        return pd.DataFrame(columns=columns)
    joined = _joined(order, region.c.id == order.c.region_id, location.c.id == order.c.location_id)
    value = cast(order.c.revenue_base, Float)
    channel_bound = case(channel_slots, value=_CODES[level], else_=0)
    parts = []
    for code, count in sorted(touchpoint_slots.items()):
        part = (
            select(
                _CODES[level].label("channel"),
                case((value > 0, func.round(func.ln(value) * VALUE_BINS)), else_=ZERO_BIN).label(
                    "bin"
                ),
                value.label("order_value"),
            )
            .select_from(joined)
            .where(
                touchpoint.c.code == code,
                order.c.touchpoint_id == touchpoint.c.id,
                order.c.sample_slot.in_(
                    bindparam(f"slots_{code}", range(count), literal_execute=True)
                )
                if count < SAMPLE_SLOTS
                else true(),
                order.c.sample_slot < channel_bound,
                order.c.order_day.between(period.start, period.end),
                order.c.status != "cancelled",
            )
        )
        parts.append(_filtered(part, filters or Filters()))
    sample = union_all(*parts).subquery()
    query = (
        select(
            sample.c.channel,
            sample.c.bin,
            func.count().label("orders"),
            func.sum(sample.c.order_value).label("revenue"),
        )
        .group_by(sample.c.channel, sample.c.bin)
        .order_by(sample.c.channel, sample.c.bin)
    )
    with get_engine(url).connect() as conn:
        frame = read_frame(conn, query)
    frame["order_value"] = np.exp(frame["bin"].to_numpy(dtype="float64") / VALUE_BINS)
    frame["orders"] = frame["orders"].astype("int64")
    frame["revenue"] = frame["revenue"].astype("float64")
    return frame[columns]


def basket_lines(
    period: Period, level: str = "category", filters: Filters | None = None, url: str | None = None
) -> pd.DataFrame:
    """``channel, product_category, orders, units, revenue`` from the daily basket rollup.

    ``orders`` are each channel's orders (non-cancelled, from the daily rollup)
    attributed to its product categories in proportion to their units, so they sum
    to the channel's orders as ``basket_drivers`` expects.
    """
    channel = _CODES[level].label("channel")
    query = (
        select(
            channel,
            basket_rollup.c.product_category,
            func.sum(basket_rollup.c.units).label("units"),
            func.sum(basket_rollup.c.revenue).label("revenue"),
        )
        .select_from(
            _joined(
                basket_rollup,
                (region.c.id == basket_rollup.c.region_id)
                & (basket_rollup.c.region_id != NO_PLACE),
                (location.c.id == basket_rollup.c.location_id)
                & (basket_rollup.c.location_id != NO_PLACE),
            )
        )
        .where(basket_rollup.c.day.between(period.start, period.end))
        .group_by(channel, basket_rollup.c.product_category)
        .order_by(channel, basket_rollup.c.product_category)
    )
    query = _filtered(query, filters or Filters())
    with get_engine(url).connect() as conn:
        frame = read_frame(conn, query)
    frame["units"] = frame["units"].astype("float64")
    frame["revenue"] = frame["revenue"].astype("float64")
    orders = rollup_sums(period, (level,), filters, url).set_index(level)["orders"]
    key_units = frame.groupby("channel")["units"].transform("sum")
    frame["orders"] = (
        frame["channel"].map(orders).fillna(0.0) * frame["units"] / key_units.where(key_units > 0)
    ).fillna(0.0)
    # A channel's orders without any product line cannot be attributed: leave it out.
    return frame[frame["channel"].isin(orders.index)].reset_index(drop=True)


@dataclass(frozen=True)
class AovView:
    period: Period
    baseline: Period
    flags: pd.DataFrame  # aov_deviation_flags columns (key "channel") + channel_name
    drivers: pd.DataFrame  # basket_drivers columns (key "channel") + channel_name


@memoise(periods=with_comparisons)
def build_aov_view(
    period: Period,
    level: str = "category",
    filters: Filters | None = None,
    compare: str = "yoy",
    alpha: float = 0.01,
    min_effect: float = 0.05,
    limit: int = SAMPLE_LIMIT,
    url: str | None = None,
) -> AovView:
    """AOV deviation flags (vs the channel's own baseline and vs its peers) and basket drivers.

    The baseline is the same period last year (``compare="yoy"``, free of seasonality)
    or the prior period (``"prior"``).
    """
    baseline = compare_periods(period, [compare])[compare]
    # Four independent reads, mostly database time: side by side they take about half as long.
    with ThreadPoolExecutor(max_workers=4) as pool:
        values = [
            pool.submit(order_values, p, level, filters, limit, url) for p in (period, baseline)
        ]
        lines = [pool.submit(basket_lines, p, level, filters, url) for p in (period, baseline)]
        current_values, baseline_values = (future.result() for future in values)
        current_lines, baseline_lines = (future.result() for future in lines)
    flags = aov_deviation_flags(
        current_values, baseline_values, alpha=alpha, min_effect=min_effect, key="channel"
    )
    if current_lines.empty and baseline_lines.empty:
        drivers = pd.DataFrame(columns=["channel", "aov_base", "aov_current", "aov_change"])
    else:
        drivers = basket_drivers(current_lines, baseline_lines, key="channel")
    names = _channel_names(level, period, baseline, filters, url)
    flags.insert(1, "channel_name", flags["channel"].map(names))
    drivers.insert(1, "channel_name", drivers["channel"].map(names))
    return AovView(period, baseline, flags, drivers)


def _channel_names(level, period, baseline, filters, url) -> dict[str, str]:
    names = {}
    for span in (baseline, period):
        sums = rollup_sums(span, (level,), filters, url)
        names.update(zip(sums[level], sums[f"{level}_name"], strict=True))
    return names
