"""Targets and baselines: one value per channel scope, period and metric (set through
``analytics.targets``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date
from sqlalchemy import Integer
from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy import func
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from db.schema import Base
from db.schema import Timestamp


class Target(Base):
    """A baseline for one channel scope, period and metric.

    scope_type is ``total``, ``category`` or ``touchpoint``; scope_id is the
    category or touchpoint id (0 for the total).
    """

    __tablename__ = "target"
    __table_args__ = (
        UniqueConstraint(
            "scope_type", "scope_id", "metric", "period_start", "period_end", name="uq_target"
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope_type: Mapped[str] = mapped_column(String(20))
    scope_id: Mapped[int] = mapped_column(Integer, default=0)
    metric: Mapped[str] = mapped_column(String(40))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)  # inclusive
    value: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    updated_at: Mapped[dt.datetime] = mapped_column(Timestamp, server_default=func.now())
    updated_by: Mapped[str | None] = mapped_column(String(80))
