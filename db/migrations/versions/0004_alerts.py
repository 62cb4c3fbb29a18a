"""alert rules, episode state, alerts, workflow events, root causes, notification outbox"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from db.migrations.helpers import ID
from db.migrations.helpers import TIMESTAMP
from db.migrations.helpers import stamped_now

revision = "0004"
down_revision = "0002"
branch_labels = ("alerts",)

PAYLOAD = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
VALUE = sa.Numeric(24, 8)


def upgrade() -> None:
    op.create_table(
        "alert_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("metric", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("scope_type", sa.String(20), nullable=False),
        sa.Column("scope_code", sa.String(40), nullable=False),
        sa.Column("region_code", sa.String(40), nullable=True),
        sa.Column("location_code", sa.String(40), nullable=True),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("grain", sa.String(10), nullable=False),
        sa.Column("direction", sa.String(10), nullable=False),
        sa.Column("threshold", VALUE, nullable=True),
        sa.Column("comparison", sa.String(10), nullable=True),
        sa.Column("params", PAYLOAD, nullable=True),
        sa.Column("recipients", PAYLOAD, nullable=True),
        sa.Column("escalation", PAYLOAD, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        stamped_now("created_at"),
        sa.Column("created_by", sa.String(80), nullable=False),
        stamped_now("updated_at"),
        sa.Column("updated_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "alert_rule_state",
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("last_period_end", sa.Date(), nullable=True),
        sa.Column("open_alert_id", ID, nullable=True),
        sa.Column("evaluated_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(["rule_id"], ["alert_rule.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("rule_id"),
    )
    op.create_table(
        "alert",
        sa.Column("id", ID, nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("grain", sa.String(10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("comparison_start", sa.Date(), nullable=True),
        sa.Column("comparison_end", sa.Date(), nullable=True),
        sa.Column("observed", VALUE, nullable=True),
        sa.Column("expected", VALUE, nullable=True),
        sa.Column("lower", VALUE, nullable=True),
        sa.Column("upper", VALUE, nullable=True),
        sa.Column("direction", sa.String(10), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("rule_snapshot", PAYLOAD, nullable=False),
        sa.Column("state", sa.String(30), nullable=False),
        sa.Column("fired_at", TIMESTAMP, nullable=False),
        sa.Column("due_at", TIMESTAMP, nullable=False),
        sa.Column("escalated_at", TIMESTAMP, nullable=True),
        sa.Column("episode_ended_at", TIMESTAMP, nullable=True),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["rule_id"], ["alert_rule.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rule_id", "period_start", "period_end", name="uq_alert_rule_period"),
    )
    op.create_index("ix_alert_state", "alert", ["state"])
    op.create_table(
        "alert_event",
        sa.Column("id", ID, nullable=False),
        sa.Column("alert_id", ID, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("from_state", sa.String(30), nullable=True),
        sa.Column("to_state", sa.String(30), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_event_alert", "alert_event", ["alert_id"])
    op.create_table(
        "rca_note",
        sa.Column("id", ID, nullable=False),
        sa.Column("alert_id", ID, nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("corrective_action", sa.Text(), nullable=False),
        sa.Column("submitted_by", sa.String(80), nullable=False),
        sa.Column("submitted_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("alert_id"),
    )
    op.create_table(
        "alert_notification",
        sa.Column("id", ID, nullable=False),
        sa.Column("alert_id", ID, nullable=False),
        sa.Column("purpose", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("recipient", sa.String(500), nullable=False),
        sa.Column("idempotency_key", sa.String(700), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", PAYLOAD, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.ForeignKeyConstraint(["alert_id"], ["alert.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index(
        "ix_alert_notification_due", "alert_notification", ["status", "next_attempt_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_alert_notification_due", table_name="alert_notification")
    op.drop_table("alert_notification")
    op.drop_table("rca_note")
    op.drop_index("ix_alert_event_alert", table_name="alert_event")
    op.drop_table("alert_event")
    op.drop_index("ix_alert_state", table_name="alert")
    op.drop_table("alert")
    op.drop_table("alert_rule_state")
    op.drop_table("alert_rule")
