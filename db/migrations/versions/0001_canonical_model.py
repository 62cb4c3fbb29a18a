"""canonical model"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from db.migrations.helpers import ID
from db.migrations.helpers import MONEY
from db.migrations.helpers import created
from db.migrations.helpers import product_measures
from db.migrations.helpers import refers
from db.migrations.helpers import required
from db.migrations.helpers import source_origin

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        *required(sa.String(length=80), "actor", "action", "entity_type"),
        sa.Column("entity_id", sa.String(length=120), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        *required(sa.String(length=64), "prev_hash", "hash"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("hash"),
    )
    op.create_table(
        "channel_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "daily_product_rollup",
        sa.Column("day", sa.Date(), nullable=False),
        *required(sa.Integer(), "touchpoint_id", "region_id", "location_id", "product_id"),
        *product_measures(),
        sa.PrimaryKeyConstraint("day", "touchpoint_id", "region_id", "location_id", "product_id"),
    )
    op.create_table(
        "daily_rollup",
        sa.Column("day", sa.Date(), nullable=False),
        *required(sa.Integer(), "touchpoint_id", "region_id", "location_id"),
        *required(MONEY, "gross_revenue", "refunds", "cost"),
        *required(
            sa.Integer(),
            "orders",
            "cancelled_orders",
            "units",
            "new_customers",
            "visits",
            "conversions",
        ),
        sa.Column("spend", MONEY, nullable=False),
        sa.PrimaryKeyConstraint("day", "touchpoint_id", "region_id", "location_id"),
    )
    op.create_table(
        "data_stamp",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "ingest_run",
        sa.Column("id", ID, nullable=False),
        *source_origin(),
        sa.Column("stream", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        *required(sa.Integer(), "read", "inserted", "updated", "unchanged", "rejected"),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=80), nullable=False),
        *required(MONEY, "list_price", "unit_cost"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sku"),
    )
    op.create_table(
        "region",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "role",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_type", sa.String(length=20), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=40), nullable=False),
        *required(sa.Date(), "period_start", "period_end"),
        sa.Column("value", sa.Numeric(precision=18, scale=6), nullable=False),
        created("updated_at"),
        sa.Column("updated_by", sa.String(length=80), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "scope_type", "scope_id", "metric", "period_start", "period_end", name="uq_target"
        ),
    )
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        created("created_at"),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("api_token_hash", sa.String(length=128), nullable=True),
        refers("role", "role.code"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("api_token_hash"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "location",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        refers("region_id", "region.id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "touchpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("conversion_basis", sa.String(length=20), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        refers("category_id", "channel_category.id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "channel_rule",
        *required(sa.Integer(), "id", "version", "priority"),
        sa.Column("source_system", sa.String(length=40), nullable=True),
        sa.Column("field", sa.String(length=80), nullable=False),
        sa.Column("operator", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("touchpoint_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        created("created_at"),
        sa.Column("created_by", sa.String(length=80), nullable=True),
        refers("touchpoint_id", "touchpoint.id"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "customer",
        sa.Column("id", ID, nullable=False),
        sa.Column("customer_key", sa.String(length=64), nullable=False),
        sa.Column("first_order_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_touchpoint_id", sa.Integer(), nullable=True),
        refers("first_touchpoint_id", "touchpoint.id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_key"),
    )
    op.create_table(
        "inventory",
        sa.Column("day", sa.Date(), nullable=False),
        *required(sa.Integer(), "product_id", "location_id", "on_hand", "on_order"),
        refers("location_id", "location.id"),
        refers("product_id", "product.id"),
        sa.PrimaryKeyConstraint("day", "product_id", "location_id"),
    )
    op.create_table(
        "marketing_spend",
        sa.Column("id", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("touchpoint_id", sa.Integer(), nullable=False),
        sa.Column("campaign", sa.String(length=120), nullable=False),
        sa.Column("source_system", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        *required(MONEY, "spend", "spend_base"),
        *required(sa.BigInteger(), "impressions", "clicks"),
        refers("touchpoint_id", "touchpoint.id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "touchpoint_id", "campaign", "source_system", name="uq_spend"),
    )
    op.create_table(
        "sales_order",
        sa.Column("id", ID, nullable=False),
        sa.Column("source_system", sa.String(length=40), nullable=False),
        *required(sa.String(length=80), "source_instance", "source_order_id"),
        sa.Column("source_version", sa.BigInteger(), nullable=False),
        sa.Column("source_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("touchpoint_raw", sa.String(length=200), nullable=False),
        *required(sa.Integer(), "touchpoint_id", "mapping_version"),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("customer_key", sa.String(length=64), nullable=True),
        sa.Column("is_new_customer", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        *required(MONEY, "subtotal", "discount", "tax", "shipping", "total", "refund_total"),
        sa.Column("fx_rate", sa.Numeric(precision=18, scale=8), nullable=False),
        *required(MONEY, "total_base", "revenue_base", "cost_of_goods_base"),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("ordered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("order_day", sa.Date(), nullable=False),
        sa.Column(
            "raw_payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("ingest_run_id", ID, nullable=True),
        refers("ingest_run_id", "ingest_run.id"),
        refers("location_id", "location.id"),
        refers("region_id", "region.id"),
        refers("touchpoint_id", "touchpoint.id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "source_system", "source_instance", "source_order_id", name="uq_order_nk"
        ),
    )
    with op.batch_alter_table("sales_order", schema=None) as batch_op:
        batch_op.create_index("ix_sales_order_customer", ["customer_key"], unique=False)
        batch_op.create_index("ix_sales_order_day", ["order_day"], unique=False)

    op.create_table(
        "touch",
        sa.Column("id", ID, nullable=False),
        sa.Column("customer_key", sa.String(length=64), nullable=False),
        sa.Column("touched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("touchpoint_id", sa.Integer(), nullable=False),
        sa.Column("device", sa.String(length=20), nullable=False),
        sa.Column("campaign", sa.String(length=120), nullable=False),
        sa.Column("source_order_id", sa.String(length=80), nullable=True),
        sa.Column("source_system", sa.String(length=40), nullable=False),
        refers("touchpoint_id", "touchpoint.id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_key", "touched_at", "touchpoint_id", name="uq_touch"),
    )
    op.create_table(
        "traffic",
        sa.Column("id", ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        *required(sa.Integer(), "touchpoint_id", "region_id", "location_id"),
        sa.Column("source_system", sa.String(length=40), nullable=False),
        *required(sa.Integer(), "sessions", "footfall", "opportunities", "opportunities_won"),
        refers("touchpoint_id", "touchpoint.id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "day", "touchpoint_id", "region_id", "location_id", "source_system", name="uq_traffic"
        ),
    )
    op.create_table(
        "order_line",
        *required(ID, "id", "order_id"),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("qty", sa.Integer(), nullable=False),
        *required(MONEY, "unit_price", "discount", "line_total", "unit_cost"),
        refers("order_id", "sales_order.id", ondelete="CASCADE"),
        refers("product_id", "product.id"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id", "line_no", name="uq_order_line"),
    )
    op.create_table(
        "refund",
        *required(ID, "id", "order_id"),
        sa.Column("source_refund_id", sa.String(length=80), nullable=False),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refund_day", sa.Date(), nullable=False),
        *required(MONEY, "amount", "amount_base"),
        refers("order_id", "sales_order.id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_id", "source_refund_id", name="uq_refund"),
    )
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.create_index("ix_refund_day", ["refund_day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("refund", schema=None) as batch_op:
        batch_op.drop_index("ix_refund_day")

    op.drop_table("refund")
    op.drop_table("order_line")
    op.drop_table("traffic")
    op.drop_table("touch")
    with op.batch_alter_table("sales_order", schema=None) as batch_op:
        batch_op.drop_index("ix_sales_order_day")
        batch_op.drop_index("ix_sales_order_customer")

    op.drop_table("sales_order")
    op.drop_table("marketing_spend")
    op.drop_table("inventory")
    op.drop_table("customer")
    op.drop_table("channel_rule")
    op.drop_table("touchpoint")
    op.drop_table("location")
    op.drop_table("app_user")
    op.drop_table("target")
    op.drop_table("role")
    op.drop_table("region")
    op.drop_table("product")
    op.drop_table("ingest_run")
    op.drop_table("data_stamp")
    op.drop_table("daily_rollup")
    op.drop_table("daily_product_rollup")
    op.drop_table("channel_category")
    op.drop_table("audit_log")
