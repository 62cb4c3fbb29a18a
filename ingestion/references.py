"""The staged orders' references to the small reference tables, checked once per page.

On PostgreSQL ``sales_order`` has no foreign keys to ``touchpoint``, ``region``,
``location`` and ``ingest_run``, nor ``order_line`` to ``product`` (migration 0061): checked
row by row they cost the merge about 13 µs an order each. The loader checks each page's
distinct ids instead, one index probe apiece, locking them as the constraint did, and refuses
the orders naming a missing one with the reason the constraint gave, so they are quarantined,
not loaded. The ids come from the same tables read in the page's transaction, so only a row
deleted meanwhile is ever missing; deleting a referenced row is refused by triggers on those
tables (0061).
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy import Table
from sqlalchemy import delete
from sqlalchemy import select

from db.schema import IngestRun
from db.schema import Location
from db.schema import Product
from db.schema import Region
from db.schema import Touchpoint

# (staged table: "order" or "line", its column, the referenced table).
REFERENCES = (
    ("order", "touchpoint_id", Touchpoint.__table__),
    ("order", "region_id", Region.__table__),
    ("order", "location_id", Location.__table__),
    ("order", "ingest_run_id", IngestRun.__table__),
    ("line", "product_id", Product.__table__),
)


def reference_reason(column: str, value: int, table: str) -> str:
    """Why an order naming a missing row is refused: what its foreign key said."""
    return f"{column} {value} is not present in table {table} (foreign key)"


def _missing(conn: Connection, staged: dict[str, Table]) -> list[tuple[int, int]]:
    """(reference number, id) of each distinct staged id its table lacks.

    The ids found are locked ``FOR KEY SHARE`` until the page commits, as a foreign key's
    check locks them: a concurrent delete of one waits, then sees the page's orders and is
    refused by the table's trigger, instead of leaving them naming a row that is gone."""
    missing = []
    for number, (side, column, target) in enumerate(REFERENCES):
        named = select(staged[side].c[column]).where(staged[side].c[column].is_not(None))
        wanted = set(conn.execute(named.distinct()).scalars())
        if not wanted:
            continue
        present = conn.execute(
            select(target.c.id)
            .where(target.c.id.in_(named.scalar_subquery()))
            .with_for_update(read=True, key_share=True)
        ).scalars()
        missing += [(number, value) for value in sorted(wanted - set(present))]
    return missing


def refuse_unknown_references(
    conn: Connection, stg_order: Table, stg_line: Table
) -> dict[int, str]:
    """Take the staged orders that name a missing reference row (or whose lines do) out of
    ``stg_order``; returns their stage ids with the reason (none, unless a row was deleted)."""
    missing = _missing(conn, {"order": stg_order, "line": stg_line})
    reasons: dict[int, list[str]] = {}
    for number, value in missing:
        side, column, target = REFERENCES[number]
        naming = stg_order if side == "order" else stg_line
        stage_ids = conn.execute(
            select(naming.c.stage_id).where(naming.c[column] == value).distinct()
        ).scalars()
        for stage_id in stage_ids:
            reasons.setdefault(stage_id, []).append(reference_reason(column, value, target.name))
    if reasons:
        conn.execute(delete(stg_order).where(stg_order.c.stage_id.in_(sorted(reasons))))
    return {stage_id: "; ".join(found) for stage_id, found in reasons.items()}
