"""The staged orders' references to the small reference tables, checked once per page.

On PostgreSQL ``sales_order`` has no foreign keys to ``touchpoint``, ``region``,
``location`` and ``ingest_run``, nor ``order_line`` to ``product`` (migration 0061): checked
row by row they cost the merge about 13 µs an order each. The loader checks each page's
distinct ids instead, with one index probe apiece, and refuses the orders naming a missing
one with the reason the constraint gave, so they are quarantined, not loaded. The ids come
from the same tables read in the page's transaction, so only a row deleted meanwhile is
ever missing; deleting a referenced row is refused by triggers on those tables (0061).
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy import Table
from sqlalchemy import delete
from sqlalchemy import exists
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy import union_all

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
    """(reference number, id) of each distinct staged id its table lacks."""
    probes = []
    for number, (side, column, target) in enumerate(REFERENCES):
        ids = (
            select(staged[side].c[column].label("id"))
            .where(staged[side].c[column].is_not(None))
            .distinct()
            .subquery(f"ids_{number}")
        )
        probes.append(
            select(literal(number).label("reference"), ids.c.id).where(
                ~exists().where(target.c.id == ids.c.id)
            )
        )
    return conn.execute(union_all(*probes)).all()


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
