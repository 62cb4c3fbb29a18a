"""unsettled_day and unsettled_customer: the keys a sync's pages touched, settled once at its end

A page of a sync records the days whose rollups it left stale and the customers whose first
order it may have moved, in its own transaction; the sync recomputes them once when it ends,
and the next sync settles what a killed one left.
"""

import sqlalchemy as sa
from alembic import op

revision = "0042"
# It needs nothing of the others.
down_revision = "0041"


def upgrade() -> None:
    op.create_table("unsettled_day", sa.Column("day", sa.Date(), primary_key=True))
    op.create_table(
        "unsettled_customer", sa.Column("customer_key", sa.String(length=64), primary_key=True)
    )


def downgrade() -> None:
    op.drop_table("unsettled_customer")
    op.drop_table("unsettled_day")
