"""Each month's lines reference that month's orders, not the partitioned sales_order

A foreign key to the partitioned ``sales_order`` is checked, for every line written, by a
query over the partitioned table (every month's partition is locked and pruned per line): it
was the costliest step of a load (about 0.1 ms a line) and grew with the months stored. Each
``order_line`` partition now references the ``sales_order`` partition of the same bounds
(``db.partitions.reference_orders``; the loader adds it to every month it makes), which is
checked by one index probe of a plain table. A line and its order share their day, so the
rows allowed, and the lines deleted with an order, are the same as before. PostgreSQL only.
"""

import sqlalchemy as sa
from alembic import op

from db.partitions import reference_orders

revision = "0060"
down_revision = "0043"
branch_labels = None
depends_on = None

PARENT_REFERENCE = "order_line_order_id_fkey"


def _line_partitions() -> list[str]:
    return list(
        op.get_bind()
        .execute(
            sa.text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = CAST('order_line' AS regclass) ORDER BY c.relname"
            )
        )
        .scalars()
    )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE order_line DROP CONSTRAINT {PARENT_REFERENCE}")
    for line in _line_partitions():
        reference_orders(op.get_bind(), line, "sales_order" + line.removeprefix("order_line"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for line in _line_partitions():
        op.execute(f"ALTER TABLE {line} DROP CONSTRAINT {line}_order_fkey")
    op.execute(
        f"ALTER TABLE order_line ADD CONSTRAINT {PARENT_REFERENCE} FOREIGN KEY "
        "(order_id, order_day) REFERENCES sales_order (id, order_day) ON DELETE CASCADE"
    )
