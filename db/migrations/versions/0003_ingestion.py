"""ingestion operations: source, sync_state, reject"""

import sqlalchemy as sa
from alembic import op

from db.migrations.helpers import ID
from db.migrations.helpers import TIMESTAMP
from db.migrations.helpers import source_origin
from db.migrations.helpers import stamped_now

revision = "0003"
down_revision = "0002"
branch_labels = ("ingestion",)


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
        stamped_now("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "sync_state",
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("stream", sa.String(length=40), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("source", "stream"),
    )
    op.create_table(
        "reject",
        sa.Column("id", ID, nullable=False),
        sa.Column("source_name", sa.String(length=80), nullable=True),
        *source_origin(),
        sa.Column("stream", sa.String(length=200), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("ingest_run_id", ID, sa.ForeignKey("ingest_run.id"), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("replayed_at", TIMESTAMP, nullable=True),
        sa.Column("replay_run_id", ID, sa.ForeignKey("ingest_run.id"), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reject_status", "reject", ["status", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_reject_status", table_name="reject")
    op.drop_table("reject")
    op.drop_table("sync_state")
    op.drop_table("source")
