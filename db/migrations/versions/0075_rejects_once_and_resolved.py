"""A reject is quarantined once per record and payload, and resolved when its record loads

Loading the same bad file or page again added every reject again, and a record that loaded
later left its rejects quarantined. Now:

- ``record_key``: the source's id of the record where known (an order's source order id;
  for a file row, the order id on it, its ``record_id`` being the file and line). A later
  load of that record marks the source's quarantined rejects of it ``resolved``, with the
  run (``replayed_at`` / ``replay_run_id``). Existing rejects of API sources take their
  ``record_id``, which is that id; file rejects' keys are not known.
- ``last_seen_at``: when the record last came with these bytes. A partial unique index over
  the quarantined rejects (source, record, payload hash) makes a reject that is still
  quarantined the one row of it: received again, only its reason, record id and
  ``last_seen_at`` change, even when two loads run at once. Copies already quarantined keep
  their first row quarantined (seen last when the newest copy came); the later ones become
  ``repeated`` (kept, not deleted).
- ``canonical``: the payload is the canonical record the mapping made (a file row refused
  for a missing exchange rate or reference row), which a replay loads as it is.
"""

import sqlalchemy as sa
from alembic import op

from db.migrations.helpers import TIMESTAMP

revision = "0075"
down_revision = "0003"

ONCE = "uq_reject_quarantined_once"
KEYED = "ix_reject_quarantined_key"
QUARANTINED = sa.text("status = 'quarantined'")
RECORD = "coalesce(record_key, record_id, '')"
SAME = """
    other.source_system = reject.source_system
    AND other.source_instance = reject.source_instance
    AND coalesce(other.record_key, other.record_id, '')
        = coalesce(reject.record_key, reject.record_id, '')
    AND other.payload_sha256 = reject.payload_sha256
    AND other.status = 'quarantined'
"""
LAST_SEEN = f"""
UPDATE reject SET last_seen_at = CASE WHEN status = 'quarantined'
    THEN (SELECT max(other.received_at) FROM reject AS other WHERE {SAME})
    ELSE received_at END
"""
REPEATS = f"""
UPDATE reject SET status = 'repeated'
WHERE status = 'quarantined' AND EXISTS (SELECT 1 FROM reject AS other WHERE {SAME}
    AND other.id < reject.id)
"""


def upgrade() -> None:
    op.add_column("reject", sa.Column("record_key", sa.String(length=200), nullable=True))
    op.add_column("reject", sa.Column("last_seen_at", TIMESTAMP, nullable=True))
    op.add_column(
        "reject",
        sa.Column("canonical", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute("UPDATE reject SET record_key = record_id WHERE source_system <> 'file'")
    op.execute(LAST_SEEN)
    op.execute(REPEATS)
    op.create_index(
        ONCE,
        "reject",
        ["source_system", "source_instance", sa.text(RECORD), "payload_sha256"],
        unique=True,
        postgresql_where=QUARANTINED,
        sqlite_where=QUARANTINED,
    )
    op.create_index(
        KEYED,
        "reject",
        ["source_system", "source_instance", "record_key"],
        postgresql_where=QUARANTINED,
        sqlite_where=QUARANTINED,
    )


def downgrade() -> None:
    op.drop_index(KEYED, table_name="reject")
    op.drop_index(ONCE, table_name="reject")
    # The statuses the table knew before: a resolved record loaded, as a replayed one did.
    op.execute("UPDATE reject SET status = 'replayed' WHERE status = 'resolved'")
    op.execute("UPDATE reject SET status = 'discarded' WHERE status = 'repeated'")
    op.drop_column("reject", "canonical")
    op.drop_column("reject", "last_seen_at")
    op.drop_column("reject", "record_key")
