"""The order tables' references to the small reference tables are checked once per page by the
loader, not per row by foreign keys

``sales_order``'s foreign keys to ``touchpoint``, ``region``, ``location`` and ``ingest_run``,
and ``order_line``'s to ``product``, were checked for every row written: about 13 µs an order
each, half the cost of writing the orders. The loader now checks each page's distinct ids with
one index probe apiece and quarantines an order naming a missing row with the reason the
constraint gave (``ingestion.references``). The other half of a foreign key, refusing to
delete or re-key a row still referenced, is kept by row triggers on each referenced
table. The rows allowed and refused are the same as before; ``TRUNCATE ... CASCADE`` of a
reference table no longer empties the order tables. PostgreSQL only: SQLite keeps its
constraints.
"""

from alembic import op

from db.migrations.helpers import on_postgres

revision = "0061"
down_revision = "0060"

# (referencing table, its foreign key, its column, the referenced table).
REFERENCES = (
    ("sales_order", "sales_order_touchpoint_id_fkey", "touchpoint_id", "touchpoint"),
    ("sales_order", "sales_order_region_id_fkey", "region_id", "region"),
    ("sales_order", "sales_order_location_id_fkey", "location_id", "location"),
    ("sales_order", "sales_order_ingest_run_id_fkey", "ingest_run_id", "ingest_run"),
    ("order_line", "order_line_product_id_fkey", "product_id", "product"),
)

# After a row of a referenced table is deleted or re-keyed: refuses it, with the error a
# foreign key raises, if a row of TG_ARGV[0] still names its old id in column TG_ARGV[1].
REFUSE_FUNCTION = """
CREATE FUNCTION refuse_removing_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    still boolean;
BEGIN
    EXECUTE format('SELECT EXISTS (SELECT FROM %I WHERE %I = $1)', TG_ARGV[0], TG_ARGV[1])
        INTO still USING OLD.id;
    IF still THEN
        RAISE foreign_key_violation USING
            MESSAGE = format('update or delete on table "%s" violates the reference from "%s"',
                             TG_TABLE_NAME, TG_ARGV[0]),
            DETAIL = format('Key (id)=(%s) is still referenced from table "%s".',
                            OLD.id, TG_ARGV[0]);
    END IF;
    RETURN NULL;
END
$$
"""
# Row triggers, and on UPDATE only when the id changes: ingest_run is updated by every page.
EVENTS = {"delete": "DELETE", "rekey": "UPDATE OF id"}
WHEN = {"delete": "", "rekey": "WHEN (OLD.id IS DISTINCT FROM NEW.id) "}


def _trigger(table: str, event: str) -> str:
    return f"{table}_referenced_{event}"


def upgrade() -> None:
    if not on_postgres():
        return
    op.execute(REFUSE_FUNCTION)
    for table, constraint, column, target in REFERENCES:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {constraint}")
        for event, action in EVENTS.items():
            op.execute(
                f"CREATE TRIGGER {_trigger(target, event)} AFTER {action} ON {target} "
                f"FOR EACH ROW {WHEN[event]}"
                f"EXECUTE FUNCTION refuse_removing_referenced('{table}', '{column}')"
            )


def downgrade() -> None:
    if not on_postgres():
        return
    for table, constraint, column, target in REFERENCES:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER {_trigger(target, event)} ON {target}")
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {constraint} FOREIGN KEY ({column}) "
            f"REFERENCES {target} (id)"
        )
    op.execute("DROP FUNCTION refuse_removing_referenced()")
