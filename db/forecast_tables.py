"""Forecasting tables: forecasts the app reads, training-job status, stock re-allocation plans.

Forecast values are statistical estimates (revenue, orders or units), stored as NUMERIC;
``unique_id`` is the series id of ``forecasting.data`` (e.g. ``category:ecommerce:revenue``).
Each training run replaces the forecast rows of the series it trained.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date
from sqlalchemy import Float
from sqlalchemy import Index
from sqlalchemy import Integer
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import Text
from sqlalchemy import UniqueConstraint
from sqlalchemy import func
from sqlalchemy import text
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from db.schema import Base
from db.schema import Id
from db.schema import Payload
from db.schema import Timestamp

Estimate = Numeric(18, 4)
JOB_STATUSES = ("queued", "running", "succeeded", "failed")


class Forecast(Base):
    __tablename__ = "forecast"
    __table_args__ = (UniqueConstraint("unique_id", "ds", name="uq_forecast"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    unique_id: Mapped[str] = mapped_column(String(160))
    ds: Mapped[dt.date] = mapped_column(Date)
    yhat: Mapped[Decimal] = mapped_column(Estimate)
    lower: Mapped[Decimal] = mapped_column(Estimate)
    upper: Mapped[Decimal] = mapped_column(Estimate)
    level: Mapped[int] = mapped_column(Integer, default=80)
    model: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(20), default="")
    training_job_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, server_default=func.now())


class TrainingJob(Base):
    """One training job of one series group; status queued → running → succeeded | failed."""

    __tablename__ = "training_job"
    __table_args__ = (Index("ix_training_job_status", "status"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    rq_job_id: Mapped[str | None] = mapped_column(String(64))
    series_group: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    message: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(80), default="system")
    result: Mapped[dict | None] = mapped_column(Payload)
    enqueued_at: Mapped[dt.datetime] = mapped_column(Timestamp, server_default=func.now())
    started_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)
    finished_at: Mapped[dt.datetime | None] = mapped_column(Timestamp)


class AllocationPlan(Base):
    """An applied stock re-allocation: the moves and the expected effect when it was applied.
    At most one plan per stock day (``as_of``) is applied; ``repeated`` marks a later one that
    was applied for the same day before that was enforced."""

    __tablename__ = "allocation_plan"
    __table_args__ = (
        Index(
            "uq_allocation_plan_applied_day",
            "as_of",
            unique=True,
            postgresql_where=text("status = 'applied'"),
            sqlite_where=text("status = 'applied'"),
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, server_default=func.now())
    created_by: Mapped[str] = mapped_column(String(80))
    as_of: Mapped[dt.date] = mapped_column(Date)
    horizon_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="applied")
    moves: Mapped[list] = mapped_column(Payload)
    units_moved: Mapped[int] = mapped_column(Integer)
    expected_stockouts_before: Mapped[float] = mapped_column(Float)
    expected_stockouts_after: Mapped[float] = mapped_column(Float)
    expected_short_units_before: Mapped[float] = mapped_column(Float)
    expected_short_units_after: Mapped[float] = mapped_column(Float)
