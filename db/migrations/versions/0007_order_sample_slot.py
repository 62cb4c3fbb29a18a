"""sales_order.sample_slot and its index: a bounded, deterministic order sample per channel"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0002"
branch_labels = ("order_sample",)
depends_on = "0001"


def upgrade() -> None:
    # SQLite can add only a virtual generated column to an existing table.
    stored = op.get_bind().dialect.name != "sqlite"
    op.add_column(
        "sales_order",
        sa.Column(
            "sample_slot",
            sa.SmallInteger(),
            sa.Computed("((id * 40503) % 65536) / 64", persisted=stored),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_sales_order_sample",
        "sales_order",
        ["touchpoint_id", "sample_slot", "order_day"],
        postgresql_include=["revenue_base", "region_id", "location_id"],
        postgresql_where=sa.text("status <> 'cancelled'"),
        sqlite_where=sa.text("status <> 'cancelled'"),
    )


def downgrade() -> None:
    op.drop_index("ix_sales_order_sample", table_name="sales_order")
    op.drop_column("sales_order", "sample_slot")
