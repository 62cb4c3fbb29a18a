"""ingestion operations: source, sync_state, reject

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = ("ingestion",)
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("instance", sa.String(length=80), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("secret_env", sa.String(length=120), nullable=True),
        sa.Column("webhook_secret_env", sa.String(length=120), nullable=True),
        sa.Column("poll_interval_seconds", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "sync_state",
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("stream", sa.String(length=40), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("source", "stream"),
    )
    op.create_table(
        "reject",
        sa.Column("id", Id, nullable=False),
        sa.Column("source_name", sa.String(length=80), nullable=True),
        sa.Column("source_system", sa.String(length=40), nullable=False),
        sa.Column("source_instance", sa.String(length=80), nullable=False),
        sa.Column("stream", sa.String(length=200), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("received_at", Timestamp, nullable=False),
        sa.Column("ingest_run_id", Id, sa.ForeignKey("ingest_run.id"), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("replayed_at", Timestamp, nullable=True),
        sa.Column("replay_run_id", Id, sa.ForeignKey("ingest_run.id"), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reject_status", "reject", ["status", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_reject_status", table_name="reject")
    op.drop_table("reject")
    op.drop_table("sync_state")
    op.drop_table("source")
