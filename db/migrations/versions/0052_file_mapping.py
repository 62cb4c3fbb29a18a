"""file_mapping: file mappings saved by name for uploads"""

import sqlalchemy as sa
from alembic import op

revision = "0052"
# A table of its own.
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "file_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("file_mapping")
