"""The rollups' sums are wide enough for any day's orders: counts BIGINT, amounts NUMERIC(28, 2)

A rollup row sums every order of its day and channel. An order's own columns hold at most
INTEGER units and 2^53 cents, so two orders of 2 billion units each, or 111 orders of the
largest amount, overflowed the rollup's INTEGER and NUMERIC(18, 2) columns: the whole page
failed to load, and a source's sync stopped on that page for good. With BIGINT counts and
NUMERIC(28, 2) amounts a rollup row overflows only past 2^32 orders of the largest size.
PostgreSQL only: SQLite's integers are 64-bit and its numerics are not bounded.
"""

import sqlalchemy as sa
from alembic import op

from db.migrations.helpers import MONEY
from db.migrations.helpers import on_postgres

revision = "0062"
down_revision = "0012"
# It needs the channel rollup too (every other rollup comes before 0012).
depends_on = "0011"

ROLLUP_COUNTS = ("orders", "cancelled_orders", "units", "new_customers", "visits", "conversions")
ROLLUP_AMOUNTS = ("gross_revenue", "refunds", "cost", "spend")
PRODUCT_COUNTS = ("lines", "units")
PRODUCT_AMOUNTS = ("revenue", "cost")

# (table, its count columns, its amount columns).
WIDENED = (
    ("daily_rollup", ROLLUP_COUNTS, ROLLUP_AMOUNTS),
    ("daily_channel_rollup", ROLLUP_COUNTS, ROLLUP_AMOUNTS),
    ("daily_product_rollup", PRODUCT_COUNTS, PRODUCT_AMOUNTS),
    ("daily_basket_rollup", PRODUCT_COUNTS, PRODUCT_AMOUNTS),
    ("daily_channel_basket_rollup", PRODUCT_COUNTS, PRODUCT_AMOUNTS),
)
ROLLUP_SUM = sa.Numeric(precision=28, scale=2)


def _retype(count_type, amount_type) -> None:
    if not on_postgres():
        return
    for table, counts, amounts in WIDENED:
        changes = [
            *(f"ALTER COLUMN {name} TYPE {count_type}" for name in counts),
            *(f"ALTER COLUMN {name} TYPE {amount_type}" for name in amounts),
        ]
        op.execute(f"ALTER TABLE {table} {', '.join(changes)}")


def upgrade() -> None:
    _retype("bigint", ROLLUP_SUM.compile(dialect=op.get_bind().dialect))


def downgrade() -> None:
    _retype("integer", MONEY.compile(dialect=op.get_bind().dialect))
