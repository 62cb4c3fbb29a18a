"""loaded_page: digests of raw pages loaded whole, so a replayed page is skipped unparsed"""

import sqlalchemy as sa
from alembic import op

from db.migrations.helpers import ID
from db.migrations.helpers import source_origin

revision = "0041"
# It needs only ingest_run; off the ingestion branch, whose step back drops the tables of 0003.
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "loaded_page",
        *source_origin(),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("ingest_run_id", ID),
        sa.ForeignKeyConstraint(["ingest_run_id"], ["ingest_run.id"]),
        sa.PrimaryKeyConstraint("source_system", "source_instance", "digest"),
    )


def downgrade() -> None:
    op.drop_table("loaded_page")
