"""sales_order and order_line partitioned by month; order_key holds the natural key; every key
of the fact tables includes the column Citus would distribute them by

PostgreSQL: both tables are rebuilt as range-partitioned on ``order_day``, a partition a month
(``db.partitions`` makes new months as the loader needs them; rows of a month without its own
go to a default partition), so index maintenance does not grow with history. A partitioned
table's unique keys must include its partition column, so the natural key moves to
``order_key`` (natural key -> order id and day), and lines and refunds carry their order's
day to reference ``sales_order (id, order_day)``. Primary keys
gain the distribution column: ``refund (order_id, id)``, ``touch (customer_key, id)``,
``customer (customer_key)``. Rewrites both tables once (minutes at ten million orders).
SQLite gets ``order_key`` and the day columns and keeps plain tables.
"""

import sqlalchemy as sa
from alembic import op

from db.migrations.helpers import on_postgres
from db.migrations.helpers import source_origin
from db.partitions import create_defaults
from db.partitions import create_month

revision = "0043"
down_revision = "0040"

SAMPLE_INDEX = (
    "CREATE INDEX ix_sales_order_sample ON sales_order "
    "(touchpoint_id, sample_slot, order_day) "
    "INCLUDE (revenue_base, value_bin, region_id, location_id) WHERE status <> 'cancelled'"
)
ORDER_REFERENCES = (
    "ALTER TABLE sales_order "
    "ADD CONSTRAINT sales_order_touchpoint_id_fkey FOREIGN KEY (touchpoint_id) "
    "REFERENCES touchpoint (id), "
    "ADD CONSTRAINT sales_order_location_id_fkey FOREIGN KEY (location_id) REFERENCES location (id), "
    "ADD CONSTRAINT sales_order_region_id_fkey FOREIGN KEY (region_id) REFERENCES region (id), "
    "ADD CONSTRAINT sales_order_ingest_run_id_fkey FOREIGN KEY (ingest_run_id) "
    "REFERENCES ingest_run (id)"
)


def _stored_columns(table: str) -> str:
    """The columns of ``table`` that are not generated, as a list for INSERT ... SELECT."""
    names = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = :table AND is_generated = 'NEVER' ORDER BY ordinal_position"
            ),
            {"table": table},
        )
        .scalars()
    )
    return ", ".join(names)


def _rebuild(table: str, like: str, options: str) -> None:
    """``table`` made anew (``options``: PARTITION BY … or WITH …) with the rows of the old one,
    which is dropped; its id sequence passes to the new table. Keys and indexes come after."""
    old = f"{table}_old"
    op.execute(f"ALTER TABLE {table} RENAME TO {old}")
    op.execute(f"ALTER SEQUENCE {table}_id_seq OWNED BY NONE")
    op.execute(f"CREATE TABLE {table} (LIKE {old} {like}) {options}")


def _copy_and_drop(table: str) -> None:
    columns = _stored_columns(f"{table}_old")
    op.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {table}_old")
    op.execute(f"DROP TABLE {table}_old")
    op.execute(f"ALTER SEQUENCE {table}_id_seq OWNED BY {table}.id")


def upgrade() -> None:
    op.create_table(
        "order_key",
        *source_origin(),
        sa.Column("source_order_id", sa.String(length=80), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("order_day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("source_system", "source_instance", "source_order_id"),
    )
    op.execute(
        "INSERT INTO order_key SELECT source_system, source_instance, source_order_id, id, "
        "order_day FROM sales_order"
    )
    for table in ("order_line", "refund"):
        op.add_column(table, sa.Column("order_day", sa.Date()))
        op.execute(
            f"UPDATE {table} SET order_day = "
            f"(SELECT order_day FROM sales_order WHERE sales_order.id = {table}.order_id)"
        )
    if not on_postgres():
        return
    op.execute("ALTER TABLE refund ALTER COLUMN order_day SET NOT NULL")
    op.execute("ALTER TABLE refund DROP CONSTRAINT refund_order_id_fkey")
    op.execute("ALTER TABLE order_line DROP CONSTRAINT order_line_order_id_fkey")
    by_day = "PARTITION BY RANGE (order_day)"
    _rebuild("sales_order", "INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING COMPRESSION", by_day)
    _rebuild("order_line", "INCLUDING DEFAULTS", by_day)
    op.execute("ALTER TABLE order_line ALTER COLUMN order_day SET NOT NULL")
    months = op.get_bind().execute(
        sa.text("SELECT DISTINCT CAST(date_trunc('month', order_day) AS date) FROM sales_order_old")
    )
    for month in months.scalars():
        create_month(op.get_bind(), month)
    create_defaults(op.get_bind())
    _copy_and_drop("order_line")
    _copy_and_drop("sales_order")
    op.execute(
        "ALTER TABLE sales_order ADD CONSTRAINT sales_order_pkey PRIMARY KEY (id, order_day)"
    )
    op.execute("CREATE INDEX ix_sales_order_day ON sales_order (order_day)")
    op.execute("CREATE INDEX ix_sales_order_customer ON sales_order (customer_key)")
    op.execute(SAMPLE_INDEX)
    op.execute(ORDER_REFERENCES)
    op.execute(
        "ALTER TABLE order_line "
        "ADD CONSTRAINT order_line_pkey PRIMARY KEY (order_id, order_day, line_no), "
        "ADD CONSTRAINT order_line_order_id_fkey FOREIGN KEY (order_id, order_day) "
        "REFERENCES sales_order (id, order_day) ON DELETE CASCADE, "
        "ADD CONSTRAINT order_line_product_id_fkey FOREIGN KEY (product_id) REFERENCES product (id)"
    )
    op.execute(
        "ALTER TABLE refund DROP CONSTRAINT refund_pkey, "
        "ADD CONSTRAINT refund_pkey PRIMARY KEY (order_id, id), "
        "ADD CONSTRAINT refund_order_id_fkey FOREIGN KEY (order_id, order_day) "
        "REFERENCES sales_order (id, order_day) ON DELETE CASCADE"
    )
    op.execute(
        "ALTER TABLE touch DROP CONSTRAINT touch_pkey, "
        "ADD CONSTRAINT touch_pkey PRIMARY KEY (customer_key, id)"
    )
    op.execute(
        "ALTER TABLE customer DROP CONSTRAINT customer_pkey, "
        "DROP CONSTRAINT customer_customer_key_key, "
        "ADD CONSTRAINT customer_pkey PRIMARY KEY (customer_key)"
    )


def downgrade() -> None:
    if on_postgres():
        op.execute(
            "ALTER TABLE customer DROP CONSTRAINT customer_pkey, "
            "ADD CONSTRAINT customer_pkey PRIMARY KEY (id), "
            "ADD CONSTRAINT customer_customer_key_key UNIQUE (customer_key)"
        )
        op.execute(
            "ALTER TABLE touch DROP CONSTRAINT touch_pkey, "
            "ADD CONSTRAINT touch_pkey PRIMARY KEY (id)"
        )
        op.execute(
            "ALTER TABLE refund DROP CONSTRAINT refund_order_id_fkey, "
            "DROP CONSTRAINT refund_pkey, ADD CONSTRAINT refund_pkey PRIMARY KEY (id)"
        )
        _rebuild(
            "sales_order",
            "INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING COMPRESSION",
            "WITH (toast_tuple_target = 128)",
        )
        _rebuild("order_line", "INCLUDING DEFAULTS", "")
        _copy_and_drop("order_line")
        _copy_and_drop("sales_order")
        op.execute(
            "ALTER TABLE sales_order ADD CONSTRAINT sales_order_pkey PRIMARY KEY (id), "
            "ADD CONSTRAINT uq_order_nk UNIQUE (source_system, source_instance, source_order_id)"
        )
        op.execute("CREATE INDEX ix_sales_order_day ON sales_order (order_day)")
        op.execute("CREATE INDEX ix_sales_order_customer ON sales_order (customer_key)")
        op.execute(SAMPLE_INDEX)
        op.execute(ORDER_REFERENCES)
        op.execute(
            "ALTER TABLE order_line ADD CONSTRAINT order_line_pkey PRIMARY KEY (id), "
            "ADD CONSTRAINT uq_order_line UNIQUE (order_id, line_no), "
            "ADD CONSTRAINT order_line_order_id_fkey FOREIGN KEY (order_id) "
            "REFERENCES sales_order (id) ON DELETE CASCADE, "
            "ADD CONSTRAINT order_line_product_id_fkey FOREIGN KEY (product_id) "
            "REFERENCES product (id)"
        )
        op.execute(
            "ALTER TABLE refund ADD CONSTRAINT refund_order_id_fkey FOREIGN KEY (order_id) "
            "REFERENCES sales_order (id) ON DELETE CASCADE"
        )
    for table in ("refund", "order_line"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("order_day")
    op.drop_table("order_key")
