"""user_session and login_failure: revocable sign-ins and failure counts shared by every worker"""

import sqlalchemy as sa
from alembic import op

from db.migrations.helpers import ID

revision = "0014"
down_revision = "0002"
branch_labels = ("sessions",)
depends_on = "0001"


def upgrade() -> None:
    op.create_table(
        "user_session",
        sa.Column("id", ID, primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("end_reason", sa.String(20)),
        sa.Column("address", sa.String(64), nullable=False, server_default=""),
    )
    op.create_index("ix_user_session_user_id", "user_session", ["user_id"])
    op.create_table(
        "login_failure",
        sa.Column("id", ID, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
    )
    op.create_index("ix_login_failure_at", "login_failure", ["at"])
    op.create_index("ix_login_failure_key", "login_failure", ["key"])


def downgrade() -> None:
    op.drop_table("login_failure")
    op.drop_table("user_session")
