"""loaded_page: digests of raw pages loaded whole, so a replayed page is skipped unparsed

Revision ID: 0041
Revises: 0001 (it needs only ingest_run; off the ingestion branch, whose step back drops the tables of 0003)
"""

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loaded_page",
        sa.Column("source_system", sa.String(length=40), nullable=False),
        sa.Column("source_instance", sa.String(length=80), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("ingest_run_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
        sa.ForeignKeyConstraint(["ingest_run_id"], ["ingest_run.id"]),
        sa.PrimaryKeyConstraint("source_system", "source_instance", "digest"),
    )


def downgrade() -> None:
    op.drop_table("loaded_page")
