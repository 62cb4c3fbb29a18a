"""Budget plans: each applied split of a marketing budget, versioned; the newest is active."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Float
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import UniqueConstraint
from sqlalchemy import func
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from db.schema import Base
from db.schema import Id
from db.schema import Money
from db.schema import Timestamp

PLAN_STATUSES = ("active", "superseded")


class BudgetPlan(Base):
    __tablename__ = "budget_plan"
    __table_args__ = (UniqueConstraint("version", name="uq_budget_plan_version"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="active")
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, server_default=func.now())
    created_by: Mapped[str] = mapped_column(String(80))
    objective: Mapped[str] = mapped_column(String(20))
    horizon_days: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(Money)
    expected_uplift: Mapped[float] = mapped_column(Float)
    uplift_low: Mapped[float] = mapped_column(Float)
    uplift_high: Mapped[float] = mapped_column(Float)


class BudgetPlanLine(Base):
    __tablename__ = "budget_plan_line"
    __table_args__ = (UniqueConstraint("plan_id", "touchpoint_id", name="uq_budget_plan_line"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("budget_plan.id", ondelete="CASCADE"))
    touchpoint_id: Mapped[int] = mapped_column(ForeignKey("touchpoint.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    current_amount: Mapped[Decimal] = mapped_column(Money)
    expected_revenue: Mapped[float] = mapped_column(Float)
