"""At most one applied stock re-allocation plan per stock day

Applying a plan records its moves; the stock counts themselves change only when the next counts
arrive. Two plans applied for the same stock day both moved the same units, so together they
shipped more than the senders held. A partial unique index on ``as_of`` over the applied plans
makes the second apply fail, even when two run at the same time. Plans already applied more
than once for a day keep their first one applied; the later ones become ``repeated`` (kept,
not deleted, so the record of what was applied stays whole).
"""

import sqlalchemy as sa
from alembic import op

revision = "0070"
down_revision = "0006"

INDEX = "uq_allocation_plan_applied_day"
APPLIED = sa.text("status = 'applied'")
REPEATS = """
UPDATE allocation_plan SET status = 'repeated'
WHERE status = 'applied' AND EXISTS (
    SELECT 1 FROM allocation_plan AS first
    WHERE first.as_of = allocation_plan.as_of AND first.status = 'applied'
      AND first.id < allocation_plan.id
)
"""


def upgrade() -> None:
    op.execute(REPEATS)
    op.create_index(
        INDEX,
        "allocation_plan",
        ["as_of"],
        unique=True,
        postgresql_where=APPLIED,
        sqlite_where=APPLIED,
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="allocation_plan")
    op.execute("UPDATE allocation_plan SET status = 'applied' WHERE status = 'repeated'")
