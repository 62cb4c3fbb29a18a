"""Which staged orders a load writes, and under which ids: the ``order_key`` directory.

``sales_order`` is partitioned by month, so it cannot hold its natural key unique; each
order's key row in ``order_key`` does, with the order's id and the day its stored version is
on. A staged version is written only if it is strictly newer than the stored one (and its
payload differs). Its key row is claimed first (made, for a new order, with an id from the
order sequence), and the claim holds the row until commit: two loads of the same order, in
whatever month either version falls, are settled one after the other, never both stored.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy import Table
from sqlalchemy import and_
from sqlalchemy import case
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update

from db.schema import OrderKey
from db.schema import SalesOrder
from db.upsert import insert_for
from ingestion.batch import ORDER_KEY


def key_join(left: Table, right: Table):
    return and_(*(left.c[c] == right.c[c] for c in ORDER_KEY))


def _newer(stg_order: Table):
    order = SalesOrder.__table__
    return and_(
        stg_order.c.source_version > order.c.source_version,
        stg_order.c.payload_sha256 != order.c.payload_sha256,
    )


def _new_ids(conn: Connection, stg_order: Table):
    """``stage_id`` and a new ``order_id`` for each staged order to write, ids in staging order
    (ties between a customer's orders break by id)."""
    changed = stg_order.c.action.is_not(None)
    if conn.dialect.name == "postgresql":
        new_id = func.nextval("sales_order_id_seq")
    else:
        keys = OrderKey.__table__
        new_id = select(func.coalesce(func.max(keys.c.order_id), 0)).scalar_subquery() + (
            func.row_number().over(order_by=stg_order.c.stage_id)
        )
    # A WITH query: evaluated once, in its ORDER BY (nextval after the sort), whatever join
    # the statement reading it makes.
    return (
        select(stg_order.c.stage_id, new_id.label("order_id"))
        .where(changed)
        .order_by(stg_order.c.stage_id)
        .cte("ids")
    )


def classify(conn: Connection, stg_order: Table) -> None:
    """Set each staged order's ``action`` (insert, update or none) and, for those written, its
    ``order_id`` and, for a stored one, ``existing_day`` and ``was_new``; claims the key rows
    of the written ones."""
    order = SalesOrder.__table__
    keys = OrderKey.__table__
    stored = and_(
        key_join(keys, stg_order),
        order.c.id == keys.c.order_id,
        order.c.order_day == keys.c.order_day,
    )
    # 1. Versions no newer than the stored ones are not written (nothing is claimed for them).
    conn.execute(update(stg_order).where(stored, ~_newer(stg_order)).values(action=None))
    # 2. Claim the key rows of the rest under new ids, making those of new orders: a key row
    #    holding another id than the staged order's was there before (its order is stored).
    changed = stg_order.c.action.is_not(None)
    ids = _new_ids(conn, stg_order)
    conn.execute(
        update(stg_order)
        .where(stg_order.c.stage_id == ids.c.stage_id)
        .values(order_id=ids.c.order_id)
    )
    claim = insert_for(conn, keys).from_select(
        [*ORDER_KEY, "order_id", "order_day"],
        select(*(stg_order.c[c] for c in ORDER_KEY), stg_order.c.order_id, stg_order.c.order_day)
        .where(changed)
        .order_by(stg_order.c.stage_id),
    )
    conn.execute(
        claim.on_conflict_do_update(index_elements=ORDER_KEY, set_={"order_id": keys.c.order_id})
    )
    # 3. With the rows held, read what is stored now: a load of the same order that committed
    #    meanwhile is seen, and a staged version no longer newer is dropped. Only orders whose
    #    key was there are read (none, on a first load).
    known = conn.execute(
        update(stg_order)
        .where(changed, key_join(keys, stg_order), keys.c.order_id != stg_order.c.order_id)
        .values(order_id=keys.c.order_id, existing_day=keys.c.order_day)
    ).rowcount
    if not known:
        return
    conn.execute(
        update(stg_order)
        .where(
            changed,
            stg_order.c.existing_day.is_not(None),
            order.c.id == stg_order.c.order_id,
            order.c.order_day == stg_order.c.existing_day,
        )
        .values(
            was_new=order.c.is_new_customer,
            action=case((_newer(stg_order), "update"), else_=None),
        )
    )


def move_keys(conn: Connection, stg_order: Table) -> None:
    """Replaced orders whose day changed: their key rows point at the new day."""
    keys = OrderKey.__table__
    conn.execute(
        update(keys)
        .where(
            key_join(keys, stg_order),
            stg_order.c.action == "update",
            keys.c.order_day != stg_order.c.order_day,
        )
        .values(order_day=stg_order.c.order_day)
    )
