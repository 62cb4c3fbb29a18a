"""daily_channel_rollup: the daily rollup summed over regions and locations, filled from it"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0002"
branch_labels = ("channel_rollup",)
depends_on = "0001"

MEASURES = (
    ("gross_revenue", sa.Numeric(18, 2)),
    ("refunds", sa.Numeric(18, 2)),
    ("cost", sa.Numeric(18, 2)),
    ("orders", sa.Integer()),
    ("cancelled_orders", sa.Integer()),
    ("units", sa.Integer()),
    ("new_customers", sa.Integer()),
    ("visits", sa.Integer()),
    ("conversions", sa.Integer()),
    ("spend", sa.Numeric(18, 2)),
)


def upgrade() -> None:
    op.create_table(
        "daily_channel_rollup",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("touchpoint_id", sa.Integer(), primary_key=True),
        *(sa.Column(name, kind, nullable=False) for name, kind in MEASURES),
    )
    names = ", ".join(name for name, _ in MEASURES)
    sums = ", ".join(f"sum({name})" for name, _ in MEASURES)
    op.execute(
        f"INSERT INTO daily_channel_rollup (day, touchpoint_id, {names}) "
        f"SELECT day, touchpoint_id, {sums} FROM daily_rollup GROUP BY day, touchpoint_id"
    )


def downgrade() -> None:
    op.drop_table("daily_channel_rollup")
