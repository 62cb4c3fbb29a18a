"""exchange_rate and region_mapping: reference data the sources' payloads do not carry"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0002"
branch_labels = ("reference_data",)
depends_on = "0001"


def upgrade() -> None:
    op.create_table(
        "exchange_rate",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("currency", sa.String(3), primary_key=True),
        sa.Column("rate", sa.Numeric(18, 8), nullable=False),
        sa.Column("source", sa.String(80), nullable=False),
    )
    op.create_table(
        "region_mapping",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source_system", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("value", sa.String(120), nullable=False),
        sa.Column("region_id", sa.Integer(), sa.ForeignKey("region.id"), nullable=False),
        sa.UniqueConstraint("source_system", "kind", "value", name="uq_region_mapping"),
    )


def downgrade() -> None:
    op.drop_table("region_mapping")
    op.drop_table("exchange_rate")
