"""Batch loading: stage through COPY, merge on the natural key, refresh rollups.

One call is one transaction: the orders, their lines and refunds, the new-customer
flags and the rollups of every day the batch touched change together (or, for a page of a
sync, the keys left to settle at its end are recorded with them), so a crash or a replay
never loses or doubles an order. A strictly newer ``source_version`` with a different
payload hash replaces an order and all its lines and refunds, in whatever month either
version falls (``ingestion.order_keys``); anything else is counted unchanged and not written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Set
from dataclasses import dataclass
from dataclasses import field

import pandas as pd
from sqlalchemy import JSON
from sqlalchemy import Connection
from sqlalchemy import Table
from sqlalchemy import cast
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import tuple_

from db.partitions import ensure_months
from db.rollup_lock import lock_rollups_for_recompute
from db.rollups import LINE_FACT_COLUMNS
from db.rollups import ORDER_FACT_COLUMNS
from db.rollups import ORDER_ROLLUP_COLUMNS
from db.rollups import add_new_orders
from db.rollups import refresh_rollups
from db.schema import OrderLine
from db.schema import Refund
from db.schema import SalesOrder
from db.settings import get_settings
from db.temporary import emptied
from ingestion.batch import OrderBatch
from ingestion.customers import customers_named
from ingestion.customers import customers_to_recheck
from ingestion.customers import record_new_customers
from ingestion.customers import refresh_first_orders
from ingestion.customers import stage_first_orders
from ingestion.customers import stage_stored_firsts
from ingestion.errors import IngestionError
from ingestion.frames import stage_frame
from ingestion.frames import stage_texts
from ingestion.order_keys import classify
from ingestion.order_keys import move_keys
from ingestion.order_keys import new_order_ids
from ingestion.reference import Lookups
from ingestion.references import refuse_unknown_references
from ingestion.staging import LINE_STAGE_COLUMNS
from ingestion.staging import ORDER_STAGE_COLUMNS
from ingestion.staging import PAYLOAD_STAGE_COLUMNS
from ingestion.staging import REFUND_STAGE_COLUMNS
from ingestion.staging import prepare
from ingestion.staging import staging_tables
from ingestion.unsettled import remember_customers
from ingestion.unsettled import remember_days


@dataclass
class LoadResult:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    days: set[dt.date] = field(default_factory=set)
    """Every day whose rollups the load changed (for caches and after-batch hooks)."""
    stale_days: set[dt.date] = field(default_factory=set)
    """The days among them whose rollups must be recomputed whole (new orders on the other
    days were added to the rollups already)."""
    refused: pd.DataFrame = field(default_factory=lambda: _refused_frame([], [], []))
    """Orders not loaded for a missing reference row (``ingestion.references``), with their
    ``source_order_id``, ``reason`` and ``payload`` (JSON text): not counted as read."""

    def add(self, other: LoadResult) -> None:
        add_counts(self, other)
        self.days |= other.days
        self.stale_days |= other.stale_days


ORDER_COUNTS = ("read", "inserted", "updated", "unchanged")
"""What a load counts, order by order (a sync's result counts them too)."""


def add_counts(total, part, names: tuple[str, ...] = ORDER_COUNTS) -> None:
    """Add ``part``'s counts of ``names`` to ``total``'s."""
    for name in names:
        setattr(total, name, getattr(total, name) + getattr(part, name))


def _refused_frame(order_ids, reasons, payloads) -> pd.DataFrame:
    return pd.DataFrame(
        {"source_order_id": order_ids, "reason": reasons, "payload": payloads}, dtype=object
    )


def _stage_join(left: Table, right: Table):
    return left.c.stage_id == right.c.stage_id


def _staged_days(conn: Connection, stg_order: Table, stg_refund: Table, action: str) -> set:
    """The order and refund days of the staged orders with ``action``."""
    days = set(
        conn.execute(
            select(stg_order.c.order_day).where(stg_order.c.action == action).distinct()
        ).scalars()
    )
    return days | set(
        conn.execute(
            select(stg_refund.c.refund_day)
            .join(stg_order, _stage_join(stg_order, stg_refund))
            .where(stg_order.c.action == action)
            .distinct()
        ).scalars()
    )


def load_orders(
    conn: Connection,
    batch: OrderBatch,
    run_id: int | None = None,
    refresh: bool = True,
    recomputed: Set[dt.date] = frozenset(),
    lookups: Lookups | None = None,
    defer: bool = False,
    quarantine: bool = False,
) -> LoadResult:
    """Merge one batch into the order tables and refresh the rollups of the days it touched.

    Runs inside the caller's transaction (``conn``): the caller commits the
    ingest run and source cursor in the same transaction. With ``refresh=False``
    the caller refreshes ``result.stale_days`` itself (together with other tables' days);
    ``recomputed`` names days the caller recomputes whole anyway, so new orders on them
    are not added to the rollups first. ``lookups``: the reference ids, if the caller has them.
    With ``defer`` (a page of a sync) the stale days and the customers whose flags may change
    are recorded for ``ingestion.unsettled.settle`` at the sync's end instead. Orders naming
    a reference row that is gone are left out into ``result.refused`` with ``quarantine``
    (for the caller to quarantine); without it they fail the load, as a foreign key would.
    """
    result = LoadResult(read=len(batch.orders))
    if not len(batch):
        return result
    staged, staged_lines, staged_refunds = prepare(
        batch, lookups or Lookups.load(conn), get_settings().tz
    )
    staged["ingest_run_id"] = run_id
    staged["order_id"] = new_order_ids(conn, len(staged))
    staging = staging_tables()
    stg_order, stg_payload, stg_line, stg_refund = staging
    for table in staging:
        emptied(conn, table)
    stage_frame(conn, stg_order, staged, [*ORDER_STAGE_COLUMNS, "order_id"])
    stage_texts(conn, stg_payload, staged, *PAYLOAD_STAGE_COLUMNS)
    stage_frame(conn, stg_line, staged_lines, LINE_STAGE_COLUMNS)
    stage_frame(conn, stg_refund, staged_refunds, REFUND_STAGE_COLUMNS)
    refused = refuse_unknown_references(conn, stg_order, stg_line)
    if refused:
        if not quarantine:
            raise IngestionError(
                f"{len(refused)} orders not loaded: {next(iter(refused.values()))}"
            )
        picked = staged.set_index("stage_id").loc[list(refused)]
        result.refused = _refused_frame(
            picked["source_order_id"].tolist(),
            list(refused.values()),
            picked["raw_payload"].tolist(),
        )
        result.read -= len(refused)
    _merge(conn, staging, result, recomputed, defer)
    if refresh:
        refresh_rollups(conn, result.stale_days)
    return result


def _merge(
    conn: Connection,
    staging: tuple[Table, Table, Table, Table],
    result: LoadResult,
    recomputed: Set[dt.date],
    defer: bool,
) -> None:
    stg_order, stg_payload, stg_line, stg_refund = staging
    order = SalesOrder.__table__
    line = OrderLine.__table__
    refund = Refund.__table__

    # 0. The months the batch writes get their partitions first, before any order row is read
    #    or claimed: making one locks the order tables, and a writer then holding a key row
    #    another waits for could deadlock with it.
    ensure_months(conn, conn.execute(select(stg_order.c.order_day).distinct()).scalars())

    # 1. Classify each staged order against what is stored (``ingestion.order_keys``): an
    #    insert, an update if this version is newer, else nothing.
    classify(conn, stg_order)
    counts = dict(
        conn.execute(select(stg_order.c.action, func.count()).group_by(stg_order.c.action)).all()
    )
    result.inserted = counts.get("insert", 0)
    result.updated = counts.get("update", 0)
    result.unchanged = result.read - result.inserted - result.updated

    changed = stg_order.c.action.is_not(None)
    replaced = stg_order.c.action == "update"
    # Days whose rollups must be recomputed: the old and new days of replaced orders and
    # their refunds. New orders are added to the rollups (their days need no recompute).
    # Statements about replaced orders run only if the page replaces any (a first load
    # replaces none).
    stale = set()
    if result.updated:
        old_ids = select(stg_order.c.order_id).where(replaced)
        stale |= set(
            conn.execute(select(stg_order.c.existing_day).where(replaced).distinct()).scalars()
        )
        stale |= set(
            conn.execute(
                select(refund.c.refund_day).where(refund.c.order_id.in_(old_ids)).distinct()
            ).scalars()
        )
    new_days = {
        action: _staged_days(conn, stg_order, stg_refund, action) if counts.get(action) else set()
        for action in ("insert", "update")
    }
    stale |= new_days["update"]
    if defer:
        # A settle takes these rows first too (``ingestion.unsettled``): recorded before the
        # page locks anything else a settle takes, so a page waiting for a settle here holds
        # nothing the settle waits for.
        remember_days(conn, stale)
    if not (result.inserted or result.updated):
        result.days |= stale
        result.stale_days |= stale
        return

    # 2. A replaced order's stored version goes, with its lines and refunds: the new one may
    #    be in another month's partition.
    if result.updated:
        stored = select(stg_order.c.order_id, stg_order.c.existing_day).where(replaced)
        for table, day in ((line, line.c.order_day), (refund, refund.c.order_day)):
            conn.execute(delete(table).where(tuple_(table.c.order_id, day).in_(stored)))
        conn.execute(delete(order).where(tuple_(order.c.id, order.c.order_day).in_(stored)))
        move_keys(conn, stg_order)

    # 3. Write the orders under their claimed ids. New customers' first orders are flagged as
    #    they are written; a replaced order keeps its stored flag (its customer's flags are
    #    rechecked below).
    payload = (
        cast(stg_payload.c.raw_payload, JSON)
        if conn.dialect.name == "postgresql"
        else stg_payload.c.raw_payload
    )
    stored_firsts = stage_stored_firsts(conn, stg_order)
    first_orders = stage_first_orders(conn, stg_order, stored_firsts)
    order_columns = [c for c in ORDER_STAGE_COLUMNS if c != "stage_id"]
    conn.execute(
        order.insert().from_select(
            ["id", *order_columns, "is_new_customer", "raw_payload"],
            select(
                stg_order.c.order_id,
                *(stg_order.c[c] for c in order_columns),
                func.coalesce(stg_order.c.was_new, first_orders.c.stage_id.is_not(None)),
                payload,
            )
            .join(stg_payload, _stage_join(stg_order, stg_payload))
            .join(first_orders, _stage_join(stg_order, first_orders), isouter=True)
            .where(changed),
        )
    )
    # Lines, then refunds: each under its order's id and day.
    for target, staged, stage_columns in (
        (line, stg_line, LINE_STAGE_COLUMNS),
        (refund, stg_refund, REFUND_STAGE_COLUMNS),
    ):
        columns = [c for c in stage_columns if c != "stage_id"]
        conn.execute(
            target.insert().from_select(
                ["order_id", "order_day", *columns],
                select(
                    stg_order.c.order_id,
                    stg_order.c.order_day,
                    *(staged.c[c] for c in columns),
                )
                .join(stg_order, _stage_join(stg_order, staged))
                .where(changed),
            )
        )

    # 4. Customers and new-customer flags where the batch can change a customer's first order;
    #    a flag that flips makes its day stale (a new order's too: the rollups add it as
    #    staged, with the flag it was written with).
    new = stg_order.c.action == "insert"
    if defer:
        remember_customers(conn, customers_to_recheck(stg_order, stored_firsts))
        recorded_meanwhile = record_new_customers(conn, stg_order, first_orders)
        if recorded_meanwhile:
            remember_customers(conn, customers_named(recorded_meanwhile))
    else:
        flipped = refresh_first_orders(conn, stg_order, first_orders, stored_firsts)
        stale |= {day for _, day in flipped}

    # 5. New orders go into the rollups as they are (the staged rows, flagged as written, with
    #    their lines and refunds: no search of the stored ones); stale days are recomputed
    #    whole (now or, deferred, when the sync settles: their hooks run then).
    new_orders = select(
        *(stg_order.c[c] for c in ORDER_ROLLUP_COLUMNS if c != "is_new_customer"),
        first_orders.c.stage_id.is_not(None).label("is_new_customer"),
    ).join(first_orders, _stage_join(stg_order, first_orders), isouter=True)
    new_lines = select(
        *(stg_order.c[c] for c in ORDER_FACT_COLUMNS),
        *(stg_line.c[c] for c in LINE_FACT_COLUMNS),
    ).join(stg_order, _stage_join(stg_order, stg_line))
    new_refunds = select(
        stg_order.c.order_id,
        stg_order.c.order_day,
        stg_refund.c.refund_day,
        stg_refund.c.amount_base,
    ).join(stg_order, _stage_join(stg_order, stg_refund))
    if not defer:
        # This transaction may recompute days after adding (``db.rollup_lock``).
        lock_rollups_for_recompute(conn)
    add_new_orders(
        conn,
        new_orders.where(new).subquery("new_orders"),
        new_lines.where(new).subquery("new_lines"),
        new_refunds.where(new).subquery("new_refunds"),
        stale | recomputed,
    )
    if defer:
        result.days |= new_days["insert"] - stale
        return
    result.days |= stale | new_days["insert"]
    result.stale_days |= stale
