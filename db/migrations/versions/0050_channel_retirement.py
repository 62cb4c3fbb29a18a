"""Channels an admin edits: a retirement stamp on categories and touchpoints, and id sequences
past the seeded rows.

Migration 0002 seeds the taxonomy with explicit ids, which leaves PostgreSQL's id sequences at
their start: the first category or touchpoint added by an admin would collide with a seeded
row. The sequences are moved past the highest id.
"""

import sqlalchemy as sa
from alembic import op

revision = "0050"
# It needs only the seeded taxonomy.
down_revision = "0002"

TABLES = ("channel_category", "touchpoint")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
        if op.get_bind().dialect.name == "postgresql":
            op.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "retired_at")
