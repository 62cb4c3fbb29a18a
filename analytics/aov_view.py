"""AOV deviations for the Contribution page: which channels' order values moved, and why.

The deviation test (``aov_deviation_flags``) needs order-value distributions, so
this module reads a bounded, deterministic sample of orders per channel from
``sales_order`` (net of tax, cancelled orders left out; refunds are not part of an
order's value here). The basket drivers come from the daily product rollup with the
products' categories: AOV of the basket (product-line revenue per order, before
shipping and order-level adjustments) split into units per order, product mix and
price within category (``basket_drivers``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import BigInteger, Float, case, cast, func, literal, select

from analytics.aov import aov_deviation_flags, basket_drivers
from analytics.cache import memoise, with_comparisons
from analytics.errors import AnalyticsError
from analytics.periods import Period, compare_periods
from analytics.rollup import Filters, category, location, region, rollup_sums, touchpoint
from analytics.trends_view import CHANNEL_LEVELS
from db.engine import get_engine
from db.schema import NO_PLACE, DailyProductRollup, Product, SalesOrder

SAMPLE_LIMIT = 20_000
# Knuth's multiplicative hash: a fixed, well-spread order of ids to sample from.
_HASH_MULTIPLIER = 2654435761
_HASH_MODULUS = 4294967296
PREFILTER_MARGIN = 1.5

order = SalesOrder.__table__
product_rollup = DailyProductRollup.__table__
product = Product.__table__

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
    """``channel, order_value``: up to ``limit`` orders per channel, the same ones on every call.

    The sample is the ``limit`` orders with the smallest multiplicative hash of their
    id: fixed for fixed data, and spread evenly over the period. Ranking every order of
    a busy channel is slow, so only the orders whose hash is below a per-channel bound
    are ranked; the bound lets through about ``PREFILTER_MARGIN`` times the orders
    needed (from the rollup's order counts), and a channel that still comes back short
    is read again without it, so the sample is exactly the same as without the bound.
    """
    if level not in CHANNEL_LEVELS:
        raise AnalyticsError(f"unknown channel level {level!r}")
    expected = rollup_sums(period, (level,), filters, url).set_index(level)["orders"]
    bounds = {
        channel: int(min(1.0, PREFILTER_MARGIN * limit / count + 0.001) * _HASH_MODULUS)
        for channel, count in expected.items()
        if count > 0
    }
    frame = _order_sample(period, level, filters, limit, bounds, url)
    counts = frame["channel"].value_counts()
    short = [
        c
        for c, bound in bounds.items()
        if bound < _HASH_MODULUS and counts.get(c, 0) < min(limit, expected[c])
    ]
    if short:
        again = _order_sample(period, level, filters, limit, {}, url)
        frame = pd.concat(
            [frame[~frame["channel"].isin(short)], again[again["channel"].isin(short)]]
        )
        frame = frame.sort_values("channel", kind="stable", ignore_index=True)
    return frame


def _order_sample(
    period: Period,
    level: str,
    filters: Filters | None,
    limit: int,
    bounds: dict[str, int],
    url: str | None,
) -> pd.DataFrame:
    """The ``limit`` orders per channel with the smallest hash (below ``bounds`` if given)."""
    code = _CODES[level]
    hashed = (cast(order.c.id, BigInteger) * literal(_HASH_MULTIPLIER, BigInteger)) % literal(
        _HASH_MODULUS, BigInteger
    )
    rank = func.row_number().over(partition_by=code, order_by=(hashed, order.c.id)).label("rank")
    inner = select(
        code.label("channel"), cast(order.c.revenue_base, Float).label("order_value"), rank
    ).select_from(
        _joined(order, region.c.id == order.c.region_id, location.c.id == order.c.location_id)
    )
    inner = inner.where(
        order.c.order_day.between(period.start, period.end), order.c.status != "cancelled"
    )
    if bounds:
        bound = case(
            {c: literal(b, BigInteger) for c, b in bounds.items()},
            value=code,
            else_=literal(_HASH_MODULUS, BigInteger),
        )
        inner = inner.where(hashed < bound)
    inner = _filtered(inner, filters or Filters()).subquery()
    query = (
        select(inner.c.channel, inner.c.order_value)
        .where(inner.c.rank <= limit)
        .order_by(inner.c.channel, inner.c.rank)
    )
    with get_engine(url).connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=["channel", "order_value"])
    frame["order_value"] = frame["order_value"].astype("float64")
    return frame


def basket_lines(
    period: Period, level: str = "category", filters: Filters | None = None, url: str | None = None
) -> pd.DataFrame:
    """``channel, product_category, orders, units, revenue`` from the daily product rollup.

    ``orders`` are each channel's orders (non-cancelled, from the daily rollup)
    attributed to its product categories in proportion to their units, so they sum
    to the channel's orders as ``basket_drivers`` expects.
    """
    channel = _CODES[level].label("channel")
    product_category = func.coalesce(product.c.category, literal("")).label("product_category")
    query = (
        select(
            channel,
            product_category,
            func.sum(product_rollup.c.units).label("units"),
            func.sum(product_rollup.c.revenue).label("revenue"),
        )
        .select_from(
            _joined(
                product_rollup,
                (region.c.id == product_rollup.c.region_id)
                & (product_rollup.c.region_id != NO_PLACE),
                (location.c.id == product_rollup.c.location_id)
                & (product_rollup.c.location_id != NO_PLACE),
            ).join(product, product.c.id == product_rollup.c.product_id)
        )
        .where(product_rollup.c.day.between(period.start, period.end))
        .group_by(channel, product_category)
        .order_by(channel, product_category)
    )
    query = _filtered(query, filters or Filters())
    with get_engine(url).connect() as conn:
        frame = pd.DataFrame(
            conn.execute(query).mappings().all(),
            columns=["channel", "product_category", "units", "revenue"],
        )
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
    current_values = order_values(period, level, filters, limit, url)
    baseline_values = order_values(baseline, level, filters, limit, url)
    flags = aov_deviation_flags(
        current_values, baseline_values, alpha=alpha, min_effect=min_effect, key="channel"
    )
    current_lines = basket_lines(period, level, filters, url)
    baseline_lines = basket_lines(baseline, level, filters, url)
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
