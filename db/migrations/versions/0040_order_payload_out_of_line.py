"""sales_order.raw_payload kept compressed out of the order rows: json (not jsonb), lz4, TOASTed

The raw payload is written once and read only to inspect an order: parsing it into jsonb
on every load cost the merge more than any index, and kept inline it made each order row
a kilobyte wide. As json it is stored as received (validated, not parsed into a tree);
with ``toast_tuple_target`` at its minimum PostgreSQL moves it, lz4-compressed, into the
table's TOAST relation, so the heap the merge and the readers scan holds narrow rows.
Rewrites ``sales_order`` once on PostgreSQL (minutes at ten million orders); SQLite keeps
its JSON text column as it was.
"""

from alembic import op

from db.migrations.helpers import on_postgres

revision = "0040"
down_revision = "0013"


def upgrade() -> None:
    if not on_postgres():
        return
    op.execute("ALTER TABLE sales_order ALTER COLUMN raw_payload TYPE json USING raw_payload::json")
    op.execute("ALTER TABLE sales_order ALTER COLUMN raw_payload SET COMPRESSION lz4")
    op.execute("ALTER TABLE sales_order SET (toast_tuple_target = 128)")


def downgrade() -> None:
    if not on_postgres():
        return
    op.execute("ALTER TABLE sales_order RESET (toast_tuple_target)")
    op.execute("ALTER TABLE sales_order ALTER COLUMN raw_payload SET COMPRESSION default")
    op.execute(
        "ALTER TABLE sales_order ALTER COLUMN raw_payload TYPE jsonb USING raw_payload::jsonb"
    )
