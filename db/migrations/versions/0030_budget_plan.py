"""budget_plan and budget_plan_line: versioned, audited marketing budget splits"""

import sqlalchemy as sa
from alembic import op

from db.migrations.helpers import ID
from db.migrations.helpers import MONEY
from db.migrations.helpers import stamped_now

revision = "0030"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "budget_plan",
        sa.Column("id", ID, primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        stamped_now("created_at"),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.Column("objective", sa.String(20), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("expected_uplift", sa.Float(), nullable=False),
        sa.Column("uplift_low", sa.Float(), nullable=False),
        sa.Column("uplift_high", sa.Float(), nullable=False),
        sa.UniqueConstraint("version", name="uq_budget_plan_version"),
    )
    op.create_table(
        "budget_plan_line",
        sa.Column("id", ID, primary_key=True),
        sa.Column(
            "plan_id",
            ID,
            sa.ForeignKey("budget_plan.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("touchpoint_id", sa.Integer(), sa.ForeignKey("touchpoint.id"), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("current_amount", MONEY, nullable=False),
        sa.Column("expected_revenue", sa.Float(), nullable=False),
        sa.UniqueConstraint("plan_id", "touchpoint_id", name="uq_budget_plan_line"),
    )


def downgrade() -> None:
    op.drop_table("budget_plan_line")
    op.drop_table("budget_plan")
