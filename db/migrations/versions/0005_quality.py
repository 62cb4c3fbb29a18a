"""data-integrity results and scheduled reports"""

import sqlalchemy as sa
from alembic import op

from db.migrations.helpers import ID
from db.migrations.helpers import TIMESTAMP

revision = "0005"
down_revision = "0002"
branch_labels = ("quality",)


def upgrade() -> None:
    op.create_table(
        "dq_run",
        sa.Column("id", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("checks", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("warned", sa.Integer(), nullable=False),
        sa.Column("triggered_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dq_run_day", "dq_run", ["day"])
    op.create_table(
        "dq_result",
        sa.Column("id", ID, nullable=False),
        sa.Column("run_id", ID, nullable=False),
        sa.Column("check_name", sa.String(length=60), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("observed", sa.String(length=200), nullable=False),
        sa.Column("expected", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["dq_run.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dq_result_run", "dq_result", ["run_id"])
    op.create_index("ix_dq_result_day", "dq_result", ["day"])
    op.create_table(
        "report_schedule",
        sa.Column("report", sa.String(length=40), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=True),
        sa.Column("updated_by", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("report"),
    )
    op.create_table(
        "report_run",
        sa.Column("id", ID, nullable=False),
        sa.Column("report", sa.String(length=40), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("sent_at", TIMESTAMP, nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("report", "period_end", name="uq_report_run"),
    )


def downgrade() -> None:
    op.drop_table("report_run")
    op.drop_table("report_schedule")
    op.drop_index("ix_dq_result_day", table_name="dq_result")
    op.drop_index("ix_dq_result_run", table_name="dq_result")
    op.drop_table("dq_result")
    op.drop_index("ix_dq_run_day", table_name="dq_run")
    op.drop_table("dq_run")
