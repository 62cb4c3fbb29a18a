"""forecast, training_job and allocation_plan tables"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from db.migrations.helpers import ID
from db.migrations.helpers import required
from db.migrations.helpers import stamped_now

revision = "0006"
down_revision = "0002"
branch_labels = ("forecasting",)

PAYLOAD = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "forecast",
        sa.Column("id", ID, nullable=False),
        sa.Column("unique_id", sa.String(length=160), nullable=False),
        sa.Column("ds", sa.Date(), nullable=False),
        *required(sa.Numeric(18, 4), "yhat", "lower", "upper"),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=20), nullable=False),
        sa.Column("training_job_id", sa.Integer(), nullable=True),
        stamped_now("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unique_id", "ds", name="uq_forecast"),
    )
    op.create_table(
        "training_job",
        sa.Column("id", ID, nullable=False),
        sa.Column("rq_job_id", sa.String(length=64), nullable=True),
        sa.Column("series_group", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("message", sa.String(length=200), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_by", sa.String(length=80), nullable=False),
        sa.Column("result", PAYLOAD, nullable=True),
        sa.Column(
            "enqueued_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_training_job_status", "training_job", ["status"])
    op.create_table(
        "allocation_plan",
        sa.Column("id", ID, nullable=False),
        stamped_now("created_at"),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("moves", PAYLOAD, nullable=False),
        sa.Column("units_moved", sa.Integer(), nullable=False),
        sa.Column("expected_stockouts_before", sa.Float(), nullable=False),
        sa.Column("expected_stockouts_after", sa.Float(), nullable=False),
        sa.Column("expected_short_units_before", sa.Float(), nullable=False),
        sa.Column("expected_short_units_after", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("allocation_plan")
    op.drop_index("ix_training_job_status", table_name="training_job")
    op.drop_table("training_job")
    op.drop_table("forecast")
