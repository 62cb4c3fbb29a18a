"""The migrated schema can be distributed with Citus unchanged: every primary and unique key of
a fact table holds its distribution column, foreign keys between fact tables join on it, and
the fact tables reference only tables that would be Citus reference tables (README, "Scaling
out")."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from db.engine import get_engine

pytestmark = pytest.mark.postgres

# Fact table -> its distribution column. The order tables are co-located on the order id.
DISTRIBUTED = {
    "sales_order": "id",
    "order_line": "order_id",
    "refund": "order_id",
    "order_key": "source_order_id",
    "customer": "customer_key",
    "touch": "customer_key",
    "inventory": "product_id",
    "daily_rollup": "day",
    "daily_channel_rollup": "day",
    "daily_product_rollup": "day",
    "daily_basket_rollup": "day",
    "daily_channel_basket_rollup": "day",
}
# Small tables every node would hold a copy of.
REFERENCE = {
    "channel_category",
    "touchpoint",
    "region",
    "location",
    "product",
    "exchange_rate",
    "region_mapping",
    "ingest_run",
}

KEYS = text(
    """
    SELECT c.relname, i.indexrelid::regclass::text,
           array_agg(a.attname::text ORDER BY k.n) AS columns
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indrelid
    CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
    WHERE i.indisunique AND c.relname = ANY(:tables) AND c.relkind IN ('r', 'p')
    GROUP BY c.relname, i.indexrelid
    """
)
FOREIGN_KEYS = text(
    """
    SELECT conrelid::regclass::text, confrelid::regclass::text, conname,
           array(SELECT attname::text FROM unnest(conkey) WITH ORDINALITY k(n, o)
                 JOIN pg_attribute ON attrelid = conrelid AND attnum = k.n ORDER BY o),
           array(SELECT attname::text FROM unnest(confkey) WITH ORDINALITY k(n, o)
                 JOIN pg_attribute ON attrelid = confrelid AND attnum = k.n ORDER BY o)
    FROM pg_constraint
    WHERE contype = 'f' AND conrelid::regclass::text = ANY(:tables)
      AND conparentid = 0
    """
)


def test_every_key_of_a_fact_table_holds_its_distribution_column(pg_url):
    tables = list(DISTRIBUTED)
    with get_engine().connect() as conn:
        keys = conn.execute(KEYS, {"tables": tables}).all()
        foreign = conn.execute(FOREIGN_KEYS, {"tables": tables}).all()
    assert {table for table, _, _ in keys} == set(tables), "a fact table without a key"
    missing = [
        (table, index, columns)
        for table, index, columns in keys
        if DISTRIBUTED[table] not in columns
    ]
    assert missing == []

    for table, target, name, columns, target_columns in foreign:
        if target in DISTRIBUTED:
            # Co-located: the distribution columns are joined to each other.
            pairs = set(zip(columns, target_columns, strict=True))
            assert (DISTRIBUTED[table], DISTRIBUTED[target]) in pairs, name
        else:
            assert target in REFERENCE, f"{name}: {table} references {target}"


def test_the_order_tables_are_partitioned_by_month(pg_url):
    with get_engine().connect() as conn:
        partitioned = dict(
            conn.execute(
                text(
                    "SELECT c.relname, pg_get_partkeydef(c.oid) FROM pg_partitioned_table p "
                    "JOIN pg_class c ON c.oid = p.partrelid"
                )
            ).all()
        )
    assert partitioned == {
        "sales_order": "RANGE (order_day)",
        "order_line": "RANGE (order_day)",
    }
