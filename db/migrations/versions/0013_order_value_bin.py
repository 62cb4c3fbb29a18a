"""sales_order.value_bin in the order-sample index: rank tests read order values binned
without converting NUMERIC per row

On PostgreSQL the stored column rewrites ``sales_order`` once (minutes at ten million
orders); SQLite can add only a virtual one.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0007"

VALUE_BIN_SQL = (
    "CASE WHEN revenue_base > 0 THEN CAST(round(ln(CAST(revenue_base AS double precision)) * "
    "200) AS smallint) ELSE -32768 END"
)


def _sample_index(include: list[str]) -> None:
    op.create_index(
        "ix_sales_order_sample",
        "sales_order",
        ["touchpoint_id", "sample_slot", "order_day"],
        postgresql_include=include,
        postgresql_where=sa.text("status <> 'cancelled'"),
        sqlite_where=sa.text("status <> 'cancelled'"),
    )


def upgrade() -> None:
    stored = op.get_bind().dialect.name != "sqlite"
    op.drop_index("ix_sales_order_sample", table_name="sales_order")
    op.add_column(
        "sales_order",
        sa.Column(
            "value_bin",
            sa.SmallInteger(),
            sa.Computed(VALUE_BIN_SQL, persisted=stored),
            nullable=False,
        ),
    )
    _sample_index(["revenue_base", "value_bin", "region_id", "location_id"])


def downgrade() -> None:
    op.drop_index("ix_sales_order_sample", table_name="sales_order")
    op.drop_column("sales_order", "value_bin")
    _sample_index(["revenue_base", "region_id", "location_id"])
