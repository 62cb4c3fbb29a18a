"""Seed the channel taxonomy, the roles and the default channel rules; make audit_log append-only.

These rows are data, editable by admins afterwards; this migration only
provides the starting set.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"

CATEGORIES = [
    (1, "ecommerce", "E-commerce", 1),
    (2, "physical_retail", "Physical Retail", 2),
    (3, "wholesale", "Wholesale", 3),
    (4, "direct_sales", "Direct Sales", 4),
    (99, "unassigned", "Unassigned", 99),
]
TOUCHPOINTS = [
    (1, "web", "Web", 1, "sessions", 1),
    (2, "mobile_app", "Mobile App", 1, "sessions", 2),
    (3, "marketplace", "Marketplace", 1, "sessions", 3),
    (4, "physical_store", "Physical Store", 2, "footfall", 4),
    (5, "b2b_portal", "B2B Portal", 3, "opportunities", 5),
    (6, "sales_rep", "Sales Rep", 4, "opportunities", 6),
    (7, "call_center", "Call Center", 4, "opportunities", 7),
    (99, "unassigned", "Unassigned", 99, "sessions", 99),
]
ROLES = [
    ("executive", "Executive", 1),
    ("planner", "Planner", 2),
    ("data_scientist", "Data scientist", 3),
    ("admin", "Admin", 4),
]
RULES = [
    (10, "shopify", "source_name", "equals", "web", 1),
    (20, "shopify", "source_name", "in", "iphone,android,mobile_app", 2),
    (30, "shopify", "source_name", "in", "amazon,ebay", 3),
    (40, "square", "source_name", "any", "", 4),
    (50, "sap", "DistributionChannel", "in", "10,12", 5),
    (60, "salesforce", "LeadSource", "equals", "Phone Inquiry", 7),
    (70, "salesforce", "StageName", "equals", "Closed Won", 6),
]

APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    meta = sa.MetaData()
    category = sa.Table("channel_category", meta, autoload_with=op.get_bind())
    touchpoint = sa.Table("touchpoint", meta, autoload_with=op.get_bind())
    role = sa.Table("role", meta, autoload_with=op.get_bind())
    rule = sa.Table("channel_rule", meta, autoload_with=op.get_bind())
    op.bulk_insert(
        category,
        [dict(zip(("id", "code", "name", "sort_order"), c, strict=True)) for c in CATEGORIES],
    )
    op.bulk_insert(
        touchpoint,
        [
            dict(
                zip(
                    ("id", "code", "name", "category_id", "conversion_basis", "sort_order"),
                    t,
                    strict=True,
                )
            )
            for t in TOUCHPOINTS
        ],
    )
    op.bulk_insert(role, [dict(zip(("code", "name", "rank"), r, strict=True)) for r in ROLES])
    op.bulk_insert(
        rule,
        [
            dict(
                zip(
                    ("priority", "source_system", "field", "operator", "value", "touchpoint_id"),
                    r,
                    strict=True,
                ),
                version=1,
                active=True,
                created_by="migration",
            )
            for r in RULES
        ],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    for table in ("channel_rule", "role", "touchpoint", "channel_category"):
        op.execute(sa.text(f"DELETE FROM {table}"))
