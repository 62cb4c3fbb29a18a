"""The daily rollups: the additive facts summed per day and channel (and place, product or
product category), kept up to date by ``db.rollups`` for the days a batch touched."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import BigInteger
from sqlalchemy import Date
from sqlalchemy import Integer
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from db.schema import Base

RollupCount = BigInteger
"""A rollup's count: the sum of its orders' INTEGER counts (``0062``)."""
RollupMoney = Numeric(28, 2)
"""A rollup's amount: the sum of its orders' amounts, each at most 2^53 cents (``0062``)."""


class RollupMeasures:
    """The additive daily facts both the daily and the channel rollup hold."""

    gross_revenue: Mapped[Decimal] = mapped_column(RollupMoney, default=Decimal(0))
    refunds: Mapped[Decimal] = mapped_column(RollupMoney, default=Decimal(0))
    cost: Mapped[Decimal] = mapped_column(RollupMoney, default=Decimal(0))
    orders: Mapped[int] = mapped_column(RollupCount, default=0)
    cancelled_orders: Mapped[int] = mapped_column(RollupCount, default=0)
    units: Mapped[int] = mapped_column(RollupCount, default=0)
    new_customers: Mapped[int] = mapped_column(RollupCount, default=0)
    visits: Mapped[int] = mapped_column(RollupCount, default=0)
    conversions: Mapped[int] = mapped_column(RollupCount, default=0)
    spend: Mapped[Decimal] = mapped_column(RollupMoney, default=Decimal(0))


# The additive daily measures both rollups hold, in column order.
ROLLUP_MEASURES = tuple(RollupMeasures.__annotations__)


class DailyRollup(RollupMeasures, Base):
    """Daily facts per touchpoint × region × location: what every dashboard reads."""

    __tablename__ = "daily_rollup"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    touchpoint_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    location_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class DailyChannelRollup(RollupMeasures, Base):
    """The daily rollup summed over regions and locations: daily facts per touchpoint.

    About a fiftieth of ``daily_rollup``'s rows; reads that neither group nor filter by
    region or location (most of every executive page) come from here."""

    __tablename__ = "daily_channel_rollup"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    touchpoint_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class DailyProductRollup(Base):
    """Daily units and revenue per product × touchpoint × region × location."""

    __tablename__ = "daily_product_rollup"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    touchpoint_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    location_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lines: Mapped[int] = mapped_column(RollupCount, default=0)
    units: Mapped[int] = mapped_column(RollupCount, default=0)
    revenue: Mapped[Decimal] = mapped_column(RollupMoney, default=Decimal(0))
    cost: Mapped[Decimal] = mapped_column(RollupMoney, default=Decimal(0))


class BasketMeasures:
    """The additive daily line facts both basket rollups hold."""

    lines: Mapped[int] = mapped_column(RollupCount, default=0)
    units: Mapped[int] = mapped_column(RollupCount, default=0)
    revenue: Mapped[Decimal] = mapped_column(RollupMoney, default=Decimal(0))
    cost: Mapped[Decimal] = mapped_column(RollupMoney, default=Decimal(0))


class DailyBasketRollup(BasketMeasures, Base):
    """Daily lines, units and revenue per product category × touchpoint × region × location:
    the product rollup summed over each category's products (``product_category`` is the
    product's category, "" for none), small enough for basket analysis over a year. A product
    moved to another category reaches past days with ``channelperf db rebuild-rollups``."""

    __tablename__ = "daily_basket_rollup"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    touchpoint_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    location_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_category: Mapped[str] = mapped_column(String(80), primary_key=True)


class DailyChannelBasketRollup(BasketMeasures, Base):
    """The basket rollup summed over regions and locations: daily line facts per product
    category × touchpoint, about a sixth of its rows; basket reads that neither group nor
    filter by region or location come from here."""

    __tablename__ = "daily_channel_basket_rollup"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    touchpoint_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_category: Mapped[str] = mapped_column(String(80), primary_key=True)


class UnsettledDay(Base):
    """A day whose rollups a sync's pages left to recompute at its end (``ingestion.settle``);
    written in each page's transaction, so a sync killed before its end leaves the day here for
    the next sync to settle."""

    __tablename__ = "unsettled_day"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)


class UnsettledCustomer(Base):
    """A customer whose first order a sync's pages may have moved: their new-customer flags are
    rechecked once, at the sync's end (``ingestion.settle``)."""

    __tablename__ = "unsettled_customer"
    customer_key: Mapped[str] = mapped_column(String(64), primary_key=True)
