"""The order fact tables: orders, their lines and refunds, and the natural-key directory.

On PostgreSQL ``sales_order`` and ``order_line`` are partitioned by month of ``order_day``
(migration 0043, partitions made by ``db.partitions``), so the indexes a load maintains are
those of the months it writes, however long the history. A partitioned table's unique keys
must hold its partition column, so the natural key of an order lives in ``order_key``, one
row per order whatever its month; the keys of every table here also hold the order id (or,
for ``order_key``, the source's order id), the column Citus would distribute them by.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON
from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import Computed
from sqlalchemy import Date
from sqlalchemy import ForeignKey
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import SmallInteger
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy import text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from db.schema import Base
from db.schema import Id
from db.schema import Money
from db.schema import Rate
from db.schema import Timestamp

SAMPLE_SLOTS = 1024
SAMPLE_SLOT_SQL = "((id * 40503) % 65536) / 64"
# Order values on a log scale for rank tests: bin = round(ln(revenue_base) × VALUE_BINS), 0.5 %
# wide; orders of value 0 or less share ZERO_BIN, below every other.
VALUE_BINS = 200
ZERO_BIN = -32768
VALUE_BIN_SQL = (
    f"CASE WHEN revenue_base > 0 THEN CAST(round(ln(CAST(revenue_base AS double precision)) * "
    f"{VALUE_BINS}) AS smallint) ELSE {ZERO_BIN} END"
)


class SalesOrder(Base):
    """An order as last received; its primary key on PostgreSQL is (id, order_day)."""

    __tablename__ = "sales_order"
    __table_args__ = (
        Index("ix_sales_order_day", "order_day"),
        Index("ix_sales_order_customer", "customer_key"),
        Index(
            "ix_sales_order_sample",
            "touchpoint_id",
            "sample_slot",
            "order_day",
            postgresql_include=["revenue_base", "value_bin", "region_id", "location_id"],
            postgresql_where=text("status <> 'cancelled'"),
            sqlite_where=text("status <> 'cancelled'"),
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source_system: Mapped[str] = mapped_column(String(40))
    source_instance: Mapped[str] = mapped_column(String(80))
    source_order_id: Mapped[str] = mapped_column(String(80))
    source_version: Mapped[int] = mapped_column(BigInteger, default=0)
    source_updated_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    touchpoint_raw: Mapped[str] = mapped_column(String(200), default="")
    # The references to touchpoint, location, region and ingest_run (and order_line's to
    # product) are foreign keys on SQLite; on PostgreSQL the loader checks them once per page
    # and triggers refuse deleting a referenced row (migration 0061, ``ingestion.references``).
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id"))
    mapping_version: Mapped[int] = mapped_column(Integer, default=1)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"))
    customer_key: Mapped[str | None] = mapped_column(String(64))
    is_new_customer: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20))  # open|completed|cancelled|refunded
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[Decimal] = mapped_column(Money)
    discount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    tax: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    shipping: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Money)
    refund_total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    fx_rate: Mapped[Decimal] = mapped_column(Rate, default=Decimal(1))
    total_base: Mapped[Decimal] = mapped_column(Money)
    # Revenue before refunds, in base currency: total less tax.
    revenue_base: Mapped[Decimal] = mapped_column(Money)
    cost_of_goods_base: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    units: Mapped[int] = mapped_column(Integer, default=0)
    ordered_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    order_day: Mapped[dt.date] = mapped_column(Date)
    # json, not jsonb: stored as received, lz4-compressed out of line (migration 0040).
    raw_payload: Mapped[dict | None] = mapped_column(JSON)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    ingest_run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_run.id"))
    # A fixed pseudo-random slot in 0..SAMPLE_SLOTS-1 (multiplicative hash of the id): the
    # orders in the slots below k are a deterministic, evenly spread sample of k/SAMPLE_SLOTS.
    sample_slot: Mapped[int] = mapped_column(SmallInteger, Computed(SAMPLE_SLOT_SQL))
    # Stored so the order-value sample is read without converting NUMERIC per row.
    value_bin: Mapped[int] = mapped_column(SmallInteger, Computed(VALUE_BIN_SQL))


class OrderLine(Base):
    """A line of an order, in its order's month; primary key on PostgreSQL (order_id,
    order_day, line_no)."""

    __tablename__ = "order_line"
    __table_args__ = (UniqueConstraint("order_id", "line_no", name="uq_order_line"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"))
    order_day: Mapped[dt.date] = mapped_column(Date)
    line_no: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"))
    qty: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    discount: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    line_total: Mapped[Decimal] = mapped_column(Money)
    unit_cost: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))


class Refund(Base):
    """A refund counts against revenue on the day it is made, not the order day; it carries its
    order's day to reference the order's partition. Primary key on PostgreSQL (order_id, id)."""

    __tablename__ = "refund"
    __table_args__ = (
        UniqueConstraint("order_id", "source_refund_id", name="uq_refund"),
        Index("ix_refund_day", "refund_day"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("sales_order.id", ondelete="CASCADE"))
    order_day: Mapped[dt.date] = mapped_column(Date)
    source_refund_id: Mapped[str] = mapped_column(String(80))
    refunded_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    refund_day: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    amount_base: Mapped[Decimal] = mapped_column(Money)


class OrderKey(Base):
    """Where each order is: its natural key to its id and the day (so the partition) its
    stored version is in. A version arriving for a stored order in another month is merged
    through this row, never stored twice."""

    __tablename__ = "order_key"
    source_system: Mapped[str] = mapped_column(String(40), primary_key=True)
    source_instance: Mapped[str] = mapped_column(String(80), primary_key=True)
    source_order_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    order_id: Mapped[int] = mapped_column(BigInteger)
    order_day: Mapped[dt.date] = mapped_column(Date)
