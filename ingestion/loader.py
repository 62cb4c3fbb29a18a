"""Batch loading: stage through COPY, merge on the natural key, refresh rollups.

One call is one transaction: the orders, their lines and refunds, the new-customer
flags and the rollups of every day the batch touched change together, so a
crash or a replay never loses or doubles an order. A strictly newer
``source_version`` with a different payload hash replaces an order and all its
lines and refunds; anything else is counted unchanged and not written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Set
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    and_,
    case,
    cast,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB

from db.rollups import add_new_orders, refresh_rollups
from db.schema import OrderLine, Refund, SalesOrder
from db.settings import get_settings
from db.upsert import bulk_stage, insert_for
from ingestion import json_text
from ingestion.batch import ORDER_KEY, OrderBatch
from ingestion.customers import first_orders_of_new_customers, refresh_first_orders
from ingestion.enrich import local_days, required_rates
from ingestion.frames import frame_rows
from ingestion.money import convert_minor, minor_to_text
from ingestion.reference import Lookups

# Staged lines and refunds point at their order's stage_id: joins on one indexed integer,
# not on the three-column natural key, stay fast whatever the planner guesses about
# freshly filled temporary tables (they have no statistics).
ORDER_STAGE_COLUMNS = [
    "stage_id",
    "source_system",
    "source_instance",
    "source_order_id",
    "source_version",
    "source_updated_at",
    "touchpoint_raw",
    "touchpoint_id",
    "mapping_version",
    "location_id",
    "region_id",
    "customer_key",
    "status",
    "currency",
    "subtotal",
    "discount",
    "tax",
    "shipping",
    "total",
    "refund_total",
    "fx_rate",
    "total_base",
    "revenue_base",
    "cost_of_goods_base",
    "units",
    "ordered_at",
    "order_day",
    "payload_sha256",
    "ingest_run_id",
]
# Raw payloads are staged apart: the merge updates staged order rows several times, and
# narrow rows make those updates cheap.
PAYLOAD_STAGE_COLUMNS = ["stage_id", "raw_payload"]
LINE_STAGE_COLUMNS = [
    "stage_id",
    "line_no",
    "sku",
    "product_id",
    "qty",
    "unit_price",
    "discount",
    "line_total",
    "unit_cost",
]
REFUND_STAGE_COLUMNS = [
    "stage_id",
    "source_refund_id",
    "refunded_at",
    "refund_day",
    "amount",
    "amount_base",
]


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

    def add(self, other: LoadResult) -> None:
        self.read += other.read
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.days |= other.days
        self.stale_days |= other.stale_days


def _staging_tables() -> tuple[Table, Table, Table, Table]:
    meta = MetaData()
    money = Numeric(18, 2)
    key = [Column(c, String(80)) for c in ORDER_KEY]
    order = Table(
        "stg_order",
        meta,
        Column("stage_id", Integer, primary_key=True),
        *key,
        Column("source_version", BigInteger),
        Column("source_updated_at", DateTime(timezone=True)),
        Column("touchpoint_raw", String(200)),
        Column("touchpoint_id", Integer),
        Column("mapping_version", Integer),
        Column("location_id", Integer),
        Column("region_id", Integer),
        Column("customer_key", String(64)),
        Column("status", String(20)),
        Column("currency", String(3)),
        *(
            Column(c, money)
            for c in ("subtotal", "discount", "tax", "shipping", "total", "refund_total")
        ),
        Column("fx_rate", Numeric(18, 8)),
        *(Column(c, money) for c in ("total_base", "revenue_base", "cost_of_goods_base")),
        Column("units", Integer),
        Column("ordered_at", DateTime(timezone=True)),
        Column("order_day", Date),
        Column("payload_sha256", String(64)),
        Column("ingest_run_id", BigInteger),
        Column("existing_id", BigInteger),
        Column("action", String(10), server_default="insert"),
        Column("order_id", BigInteger),
        prefixes=["TEMPORARY"],
    )
    payload = Table(
        "stg_payload",
        meta,
        Column("stage_id", Integer, primary_key=True),
        Column("raw_payload", Text),
        prefixes=["TEMPORARY"],
    )
    line = Table(
        "stg_order_line",
        meta,
        Column("stage_id", Integer, index=True),
        Column("line_no", Integer),
        Column("sku", String(64)),
        Column("product_id", Integer),
        Column("qty", Integer),
        *(Column(c, money) for c in ("unit_price", "discount", "line_total", "unit_cost")),
        prefixes=["TEMPORARY"],
    )
    refund = Table(
        "stg_refund",
        meta,
        Column("stage_id", Integer, index=True),
        Column("source_refund_id", String(80)),
        Column("refunded_at", DateTime(timezone=True)),
        Column("refund_day", Date),
        Column("amount", money),
        Column("amount_base", money),
        prefixes=["TEMPORARY"],
    )
    return order, payload, line, refund


def payload_json(payload: dict | None) -> str | None:
    """The stored form of a raw payload: compact JSON that PostgreSQL's JSONB accepts."""
    return None if payload is None else json_text.compact(payload)


def prepare(batch: OrderBatch, lookups: Lookups, tz: ZoneInfo, run_id: int | None):
    """The staging frames: derived amounts in base currency, ids resolved, local days fixed."""
    orders = batch.orders.reset_index(drop=True)
    orders["stage_id"] = orders.index
    lines = batch.lines.merge(orders[ORDER_KEY + ["stage_id"]], on=ORDER_KEY)
    orders["fx_rate"] = required_rates(orders, "orders")
    refunds = batch.refunds.merge(orders[ORDER_KEY + ["stage_id", "fx_rate"]], on=ORDER_KEY)

    line_cost = (
        (lines["qty"].astype("int64") * lines["unit_cost_minor"].astype("int64"))
        .groupby([lines[c] for c in ORDER_KEY])
        .sum()
    )
    line_units = lines.groupby(ORDER_KEY)["qty"].sum()
    refund_minor = refunds.groupby(ORDER_KEY)["amount_minor"].sum()
    index = pd.MultiIndex.from_frame(orders[ORDER_KEY])
    cost_minor = line_cost.reindex(index, fill_value=0).to_numpy()
    units = line_units.reindex(index, fill_value=0).to_numpy()
    refunded = refund_minor.reindex(index, fill_value=0).to_numpy()

    fx = orders["fx_rate"].astype("float64")
    staged = pd.DataFrame(
        {
            "stage_id": orders["stage_id"],
            **{c: orders[c] for c in ORDER_KEY},
            "source_version": orders["source_version"].astype("int64"),
            "source_updated_at": orders["source_updated_at"],
            "touchpoint_raw": orders["touchpoint_raw"],
            "touchpoint_id": lookups.touchpoint_ids(orders["touchpoint_code"]),
            "mapping_version": orders["mapping_version"].astype("int64"),
            "location_id": orders["location_code"].map(lookups.location).astype("Int64"),
            "region_id": lookups.region_ids(orders["region_code"], orders["location_code"]),
            "customer_key": orders["customer_key"],
            "status": orders["status"],
            "currency": orders["currency"],
            "subtotal": minor_to_text(orders["subtotal_minor"]),
            "discount": minor_to_text(orders["discount_minor"]),
            "tax": minor_to_text(orders["tax_minor"]),
            "shipping": minor_to_text(orders["shipping_minor"]),
            "total": minor_to_text(orders["total_minor"]),
            "refund_total": minor_to_text(pd.Series(refunded, index=orders.index)),
            "fx_rate": fx.map(lambda r: f"{r:.8f}"),
            "total_base": minor_to_text(convert_minor(orders["total_minor"], fx)),
            "revenue_base": minor_to_text(
                convert_minor(
                    orders["total_minor"].astype("int64") - orders["tax_minor"].astype("int64"), fx
                )
            ),
            "cost_of_goods_base": minor_to_text(
                convert_minor(pd.Series(cost_minor, index=orders.index), fx)
            ),
            "units": units.astype("int64"),
            "ordered_at": orders["ordered_at"],
            "order_day": local_days(orders["ordered_at"], tz).dt.date,
            "raw_payload": orders["payload"].map(payload_json),
            "payload_sha256": orders["payload_sha256"],
            "ingest_run_id": run_id,
        }
    )
    staged_lines = pd.DataFrame(
        {
            "stage_id": lines["stage_id"],
            "line_no": lines["line_no"].astype("int64"),
            "sku": lines["sku"],
            "product_id": lines["sku"].map(lookups.product).astype("Int64"),
            "qty": lines["qty"].astype("int64"),
            "unit_price": minor_to_text(lines["unit_price_minor"]),
            "discount": minor_to_text(lines["discount_minor"]),
            "line_total": minor_to_text(lines["line_total_minor"]),
            "unit_cost": minor_to_text(lines["unit_cost_minor"]),
        }
    )
    staged_refunds = pd.DataFrame(
        {
            "stage_id": refunds["stage_id"],
            "source_refund_id": refunds["source_refund_id"].astype(str),
            "refunded_at": refunds["refunded_at"],
            "refund_day": local_days(refunds["refunded_at"], tz).dt.date,
            "amount": minor_to_text(refunds["amount_minor"]),
            "amount_base": minor_to_text(
                convert_minor(refunds["amount_minor"], refunds["fx_rate"].astype("float64"))
            ),
        }
    )
    return staged, staged_lines, staged_refunds


def _key_join(left: Table, right: Table):
    return and_(*(left.c[c] == right.c[c] for c in ORDER_KEY))


def _stage_join(left: Table, right: Table):
    return left.c.stage_id == right.c.stage_id


def load_orders(
    conn: Connection,
    batch: OrderBatch,
    run_id: int | None = None,
    refresh: bool = True,
    recomputed: Set[dt.date] = frozenset(),
    lookups: Lookups | None = None,
) -> LoadResult:
    """Merge one batch into the order tables and refresh the rollups of the days it touched.

    Runs inside the caller's transaction (``conn``): the caller commits the
    ingest run and source cursor in the same transaction. With ``refresh=False``
    the caller refreshes ``result.stale_days`` itself (together with other tables' days);
    ``recomputed`` names days the caller recomputes whole anyway, so new orders on them
    are not added to the rollups first. ``lookups``: the reference ids, if the caller has them.
    """
    result = LoadResult(read=len(batch.orders))
    if not len(batch):
        return result
    settings = get_settings()
    staged, staged_lines, staged_refunds = prepare(
        batch, lookups or Lookups.load(conn), settings.tz, run_id
    )
    staging = _staging_tables()
    stg_order, stg_payload, stg_line, stg_refund = staging
    for table in staging:
        table.drop(conn, checkfirst=True)
        table.create(conn)
    bulk_stage(conn, stg_order, ORDER_STAGE_COLUMNS, frame_rows(staged, ORDER_STAGE_COLUMNS))
    bulk_stage(conn, stg_payload, PAYLOAD_STAGE_COLUMNS, frame_rows(staged, PAYLOAD_STAGE_COLUMNS))
    bulk_stage(conn, stg_line, LINE_STAGE_COLUMNS, frame_rows(staged_lines, LINE_STAGE_COLUMNS))
    bulk_stage(
        conn, stg_refund, REFUND_STAGE_COLUMNS, frame_rows(staged_refunds, REFUND_STAGE_COLUMNS)
    )
    _merge(conn, staging, result, recomputed)
    if refresh:
        refresh_rollups(conn, result.stale_days)
    # Not in a ``finally``: after a failure the connection may be lost or its transaction
    # aborted, and a DROP would hide the real error; the caller's rollback removes the
    # tables, since they were created in its transaction.
    for table in staging:
        table.drop(conn)
    return result


def _merge(
    conn: Connection,
    staging: tuple[Table, Table, Table, Table],
    result: LoadResult,
    recomputed: Set[dt.date],
) -> None:
    stg_order, stg_payload, stg_line, stg_refund = staging
    order = SalesOrder.__table__
    line = OrderLine.__table__
    refund = Refund.__table__

    # 1. Classify each staged order against what is stored: staged as an insert, an order
    #    already stored becomes an update if this version is newer, else nothing.
    newer = and_(
        stg_order.c.source_version > order.c.source_version,
        stg_order.c.payload_sha256 != order.c.payload_sha256,
    )
    conn.execute(
        update(stg_order)
        .where(_key_join(order, stg_order))
        .values(existing_id=order.c.id, action=case((newer, "update"), else_=None))
    )
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
    old_ids = select(stg_order.c.existing_id).where(replaced)
    stale = set(
        conn.execute(select(order.c.order_day).where(order.c.id.in_(old_ids)).distinct()).scalars()
    )
    stale |= set(
        conn.execute(
            select(refund.c.refund_day).where(refund.c.order_id.in_(old_ids)).distinct()
        ).scalars()
    )
    new_days = {}
    for action in ("insert", "update"):
        days = set(
            conn.execute(
                select(stg_order.c.order_day).where(stg_order.c.action == action).distinct()
            ).scalars()
        )
        days |= set(
            conn.execute(
                select(stg_refund.c.refund_day)
                .join(stg_order, _stage_join(stg_order, stg_refund))
                .where(stg_order.c.action == action)
                .distinct()
            ).scalars()
        )
        new_days[action] = days
    stale |= new_days["update"]
    if not (result.inserted or result.updated):
        result.days |= stale
        result.stale_days |= stale
        return

    # 2. Upsert the orders; the WHERE keeps a concurrent newer write from being overwritten.
    payload = (
        cast(stg_payload.c.raw_payload, JSONB)
        if conn.dialect.name == "postgresql"
        else stg_payload.c.raw_payload
    )
    #    New customers' first orders are flagged as they are written; ids follow staging
    #    order, which broke ties between a customer's simultaneous orders.
    first_orders = first_orders_of_new_customers(stg_order)
    order_columns = [c for c in ORDER_STAGE_COLUMNS if c != "stage_id"]
    statement = insert_for(conn, order).from_select(
        [*order_columns, "is_new_customer", "raw_payload"],
        select(
            *(stg_order.c[c] for c in order_columns),
            first_orders.c.stage_id.is_not(None),
            payload,
        )
        .join(stg_payload, _stage_join(stg_order, stg_payload))
        .join(first_orders, _stage_join(stg_order, first_orders), isouter=True)
        .where(changed)
        .order_by(stg_order.c.stage_id),
    )
    # A replaced order keeps its stored flag: its customer's flags are rechecked below.
    statement = statement.on_conflict_do_update(
        index_elements=ORDER_KEY,
        set_={c: statement.excluded[c] for c in order_columns if c not in ORDER_KEY},
        where=statement.excluded.source_version > order.c.source_version,
    )
    conn.execute(statement)

    # 3. Replace lines and refunds of every order this batch wrote (a concurrent newer
    #    write of the same order keeps its own lines: its hash differs from the staged one).
    written_id = (
        select(order.c.id)
        .where(_key_join(order, stg_order), order.c.payload_sha256 == stg_order.c.payload_sha256)
        .correlate(stg_order)
        .scalar_subquery()
    )
    conn.execute(update(stg_order).where(changed).values(order_id=written_id))
    written = select(stg_order.c.order_id).where(stg_order.c.order_id.is_not(None))
    conn.execute(delete(line).where(line.c.order_id.in_(written)))
    conn.execute(delete(refund).where(refund.c.order_id.in_(written)))
    line_columns = [c for c in LINE_STAGE_COLUMNS if c != "stage_id"]
    conn.execute(
        line.insert().from_select(
            ["order_id", *line_columns],
            select(stg_order.c.order_id, *(stg_line.c[c] for c in line_columns))
            .join(stg_order, _stage_join(stg_order, stg_line))
            .where(stg_order.c.order_id.is_not(None)),
        )
    )
    refund_columns = [c for c in REFUND_STAGE_COLUMNS if c != "stage_id"]
    conn.execute(
        refund.insert().from_select(
            ["order_id", *refund_columns],
            select(stg_order.c.order_id, *(stg_refund.c[c] for c in refund_columns))
            .join(stg_order, _stage_join(stg_order, stg_refund))
            .where(stg_order.c.order_id.is_not(None)),
        )
    )

    # 4. Customers and new-customer flags where the batch can change a customer's first order;
    #    a flag that flips on an order stored before makes its day stale.
    inserted = select(stg_order.c.order_id).where(
        stg_order.c.action == "insert", stg_order.c.order_id.is_not(None)
    )
    new_ids = set(conn.execute(inserted).scalars())
    flipped = refresh_first_orders(conn, stg_order)
    stale |= {day for order_id, day in flipped if order_id not in new_ids}

    # 5. New orders go into the rollups as they are; stale days are recomputed whole.
    add_new_orders(conn, inserted.subquery("new_orders"), stale | recomputed)
    result.days |= stale | new_days["insert"]
    result.stale_days |= stale
