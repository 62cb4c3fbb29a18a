"""The canonical model as SQLAlchemy tables.

ORM classes serve the configuration tables (users, rules, targets); analytics
reads the same tables through SQLAlchemy Core via ``Model.__table__``.
Money is NUMERIC (Decimal); timestamps are stored in UTC; ``*_day`` columns hold
the calendar date in the reporting time zone, fixed at load time so rollups
and filters never convert time zones at query time.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON
from sqlalchemy import BigInteger
from sqlalchemy import Boolean
from sqlalchemy import Date
from sqlalchemy import DateTime
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

Money = Numeric(18, 2)
Rate = Numeric(18, 8)
# JSONB on PostgreSQL, JSON text on SQLite.
Payload = JSON().with_variant(JSONB(), "postgresql")
Id = BigInteger().with_variant(Integer(), "sqlite")
Timestamp = DateTime(timezone=True)

# location_id / region_id in fact tables without a place (online traffic, spend).
NO_PLACE = 0


class Base(DeclarativeBase):
    pass


# --- channel taxonomy ------------------------------------------------------------------


class ChannelCategory(Base):
    __tablename__ = "channel_category"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # Retired channels keep their history but leave pickers and new rules (analytics.taxonomy).
    retired_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)


class Touchpoint(Base):
    __tablename__ = "touchpoint"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    category_id: Mapped[int] = mapped_column(ForeignKey("channel_category.id"))
    # What the conversion rate divides by: sessions (online), footfall (stores)
    # or opportunities (B2B and direct sales, where won deals are the numerator).
    conversion_basis: Mapped[str] = mapped_column(String(20), default="sessions")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    retired_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)


class ChannelRule(Base):
    """Priority-ordered touchpoint rules: the first active match wins."""

    __tablename__ = "channel_rule"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    priority: Mapped[int] = mapped_column(Integer)
    source_system: Mapped[str | None] = mapped_column(String(40))
    field: Mapped[str] = mapped_column(String(80))
    operator: Mapped[str] = mapped_column(String(20), default="equals")
    value: Mapped[str] = mapped_column(String(200))
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, server_default=func.now())
    created_by: Mapped[str | None] = mapped_column(String(80))


# --- places, products, customers ---------------------------------------------------------


class Region(Base):
    __tablename__ = "region"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    currency: Mapped[str] = mapped_column(String(3), default="USD")


class Location(Base):
    __tablename__ = "location"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), default="store")  # store | warehouse
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))


class Product(Base):
    __tablename__ = "product"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(80), default="")
    list_price: Mapped[Decimal] = mapped_column(Money)
    unit_cost: Mapped[Decimal] = mapped_column(Money)


class Customer(Base):
    """Primary key on PostgreSQL: ``customer_key``, its distribution column (migration 0043)."""

    __tablename__ = "customer"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_key: Mapped[str] = mapped_column(String(64), unique=True)  # pseudonymous hash
    first_order_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    first_touchpoint_id: Mapped[int | None] = mapped_column(ForeignKey("touchpoint.id"))


# --- reference data the sources do not carry -----------------------------------------------


class ExchangeRate(Base):
    """Units of the base currency (``settings.base_currency``) per unit of ``currency`` on
    ``day``; an order takes the latest rate on or before its order day."""

    __tablename__ = "exchange_rate"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Rate)
    source: Mapped[str] = mapped_column(String(80), default="")


class RegionMapping(Base):
    """The region of a source's own place identifier (``kind`` = country, sales_org, store,
    …, ``value`` as the source spells it); ``source_system`` "*" applies to every source, a
    source's own row wins over it."""

    __tablename__ = "region_mapping"
    __table_args__ = (UniqueConstraint("source_system", "kind", "value", name="uq_region_mapping"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_system: Mapped[str] = mapped_column(String(40), default="*")
    kind: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(120))
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))


# --- orders ------------------------------------------------------------------------------


class IngestRun(Base):
    __tablename__ = "ingest_run"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source_system: Mapped[str] = mapped_column(String(40))
    source_instance: Mapped[str] = mapped_column(String(80), default="default")
    stream: Mapped[str] = mapped_column(String(40), default="orders")
    started_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    finished_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    status: Mapped[str] = mapped_column(String(20), default="running")
    read: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


# --- traffic, spend, stock, journeys ------------------------------------------------------


class Traffic(Base):
    """Conversion denominators: sessions online, footfall in stores, opportunities in B2B."""

    __tablename__ = "traffic"
    __table_args__ = (
        UniqueConstraint(
            "day", "touchpoint_id", "region_id", "location_id", "source_system", name="uq_traffic"
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id"))
    region_id: Mapped[int] = mapped_column(Integer, default=NO_PLACE)
    location_id: Mapped[int] = mapped_column(Integer, default=NO_PLACE)
    source_system: Mapped[str] = mapped_column(String(40), default="demo")
    sessions: Mapped[int] = mapped_column(Integer, default=0)
    footfall: Mapped[int] = mapped_column(Integer, default=0)
    opportunities: Mapped[int] = mapped_column(Integer, default=0)
    opportunities_won: Mapped[int] = mapped_column(Integer, default=0)


class MarketingSpend(Base):
    __tablename__ = "marketing_spend"
    __table_args__ = (
        UniqueConstraint("day", "touchpoint_id", "campaign", "source_system", name="uq_spend"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id"))
    campaign: Mapped[str] = mapped_column(String(120), default="")
    source_system: Mapped[str] = mapped_column(String(40), default="demo")
    currency: Mapped[str] = mapped_column(String(3))
    spend: Mapped[Decimal] = mapped_column(Money)
    spend_base: Mapped[Decimal] = mapped_column(Money)
    impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)


class Inventory(Base):
    __tablename__ = "inventory"
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"), primary_key=True)
    on_hand: Mapped[int] = mapped_column(Integer)
    on_order: Mapped[int] = mapped_column(Integer, default=0)


class Touch(Base):
    """One step of a customer journey, for multi-touch attribution; primary key on PostgreSQL
    (customer_key, id), its distribution column first (migration 0043)."""

    __tablename__ = "touch"
    __table_args__ = (
        UniqueConstraint("customer_key", "touched_at", "touchpoint_id", name="uq_touch"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    customer_key: Mapped[str] = mapped_column(String(64))
    touched_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id"))
    device: Mapped[str] = mapped_column(String(20), default="")
    campaign: Mapped[str] = mapped_column(String(120), default="")
    source_order_id: Mapped[str | None] = mapped_column(String(80))
    source_system: Mapped[str] = mapped_column(String(40), default="demo")


# --- users and audit ----------------------------------------------------------------------


class Role(Base):
    __tablename__ = "role"
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    rank: Mapped[int] = mapped_column(Integer)


class AppUser(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(ForeignKey("role.code"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, server_default=func.now())
    last_login_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    api_token_hash: Mapped[str | None] = mapped_column(String(128), unique=True)


class UserSession(Base):
    """A signed-in browser session; the cookie holds a random token, this row its sha256.

    Ending a row (sign-out, a disabled account, a role change, a timeout) ends the session
    at once on every worker: each request looks its token up here.
    """

    __tablename__ = "user_session"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    last_seen_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    ended_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    end_reason: Mapped[str | None] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(64), default="")


class LoginFailure(Base):
    """Failed sign-ins, counted per username and per address across every worker."""

    __tablename__ = "login_failure"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(Timestamp, index=True)
    key: Mapped[str] = mapped_column(String(200), index=True)


class AuditLog(Base):
    """Append-only: rows are inserted, never updated or deleted; each hashes the previous."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(Timestamp)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(80))
    entity_type: Mapped[str] = mapped_column(String(80))
    entity_id: Mapped[str] = mapped_column(String(120), default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class DataStamp(Base):
    """Named timestamps: when data last changed, for "data as of" and cache invalidation."""

    __tablename__ = "data_stamp"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(Timestamp)


# Tables of the other areas live in their own modules on the same metadata.
import db.alert_tables  # noqa: E402,F401
import db.budget_tables  # noqa: E402,F401
import db.forecast_tables  # noqa: E402,F401
import db.ingestion_tables  # noqa: E402,F401
import db.quality_tables  # noqa: E402,F401
import db.rollup_tables  # noqa: E402,F401
import db.target_tables  # noqa: E402,F401

# The order fact tables, re-exported: most readers import them from here.
from db.order_tables import SAMPLE_SLOT_SQL  # noqa: E402,F401
from db.order_tables import SAMPLE_SLOTS  # noqa: E402,F401
from db.order_tables import VALUE_BIN_SQL  # noqa: E402,F401
from db.order_tables import VALUE_BINS  # noqa: E402,F401
from db.order_tables import ZERO_BIN  # noqa: E402,F401
from db.order_tables import OrderKey  # noqa: E402,F401
from db.order_tables import OrderLine  # noqa: E402,F401
from db.order_tables import Refund  # noqa: E402,F401
from db.order_tables import SalesOrder  # noqa: E402,F401
