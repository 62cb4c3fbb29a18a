"""Which staged orders a load writes, and under which ids: the ``order_key`` directory.

``sales_order`` is partitioned by month, so it cannot hold its natural key unique; each
order's key row in ``order_key`` does, with the order's id and the day its stored version is
on. A staged version is written only if it is strictly newer than the stored one (and its
payload differs). Its key row is claimed first (made, for a new order, with the id from the
order sequence it was staged with), and the claim holds the row until commit: two loads of
the same order, in whatever month either version falls, are settled one after the other,
never both stored.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy import FromClause
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


def key_join(left: FromClause, right: FromClause):
    return and_(*(left.c[c] == right.c[c] for c in ORDER_KEY))


def _newer(stg_order: Table):
    order = SalesOrder.__table__
    return and_(
        stg_order.c.source_version > order.c.source_version,
        stg_order.c.payload_sha256 != order.c.payload_sha256,
    )


def new_order_ids(conn: Connection, count: int) -> list[int]:
    """``count`` new order ids, ascending: staged orders take them in staging order (ties
    between a customer's orders break by id). An order found stored keeps its own."""
    if not count:
        return []
    if conn.dialect.name == "postgresql":
        drawn = select(func.nextval("sales_order_id_seq")).select_from(
            func.generate_series(1, count)
        )
        return sorted(conn.execute(drawn).scalars())
    keys = OrderKey.__table__
    last = conn.execute(select(func.coalesce(func.max(keys.c.order_id), 0))).scalar_one()
    return list(range(last + 1, last + 1 + count))


def _claim(conn: Connection, stg_order: Table) -> int:
    """Claim the key row of every staged order, making those of new orders under their staged
    ids; a key row holding another id was there before (its order is stored), and that id and
    the stored day are staged instead. Returns how many were there (none, on a first load).

    On PostgreSQL the claim returns the rows it made or locked, so the stored ids come back
    from it: no second look-up in ``order_key``, whose cost grows with the table."""
    keys = OrderKey.__table__
    claim = insert_for(conn, keys).from_select(
        [*ORDER_KEY, "order_id", "order_day"],
        select(
            *(stg_order.c[c] for c in ORDER_KEY), stg_order.c.order_id, stg_order.c.order_day
        ).order_by(stg_order.c.stage_id),
    )
    claim = claim.on_conflict_do_update(
        index_elements=ORDER_KEY, set_={"order_id": keys.c.order_id}
    )
    if conn.dialect.name == "postgresql":
        claimed = claim.returning(*(keys.c[c] for c in (*ORDER_KEY, "order_id", "order_day")))
        found = claimed.cte("claimed")
    else:
        conn.execute(claim)
        found = keys
    return conn.execute(
        update(stg_order)
        .where(key_join(found, stg_order), found.c.order_id != stg_order.c.order_id)
        .values(order_id=found.c.order_id, existing_day=found.c.order_day)
    ).rowcount


def classify(conn: Connection, stg_order: Table) -> None:
    """Set each staged order's ``action`` (insert, update or none) and, for a stored one, its
    ``order_id``, ``existing_day`` and ``was_new``; claims the key rows of all of them.

    The staged orders come with new ids (``new_order_ids``) and ``action`` insert."""
    order = SalesOrder.__table__
    # 1. Claim every key row. A load of the same order still in flight holds its row: the
    #    claim waits for it to commit (or roll back) and then finds what it stored.
    if not _claim(conn, stg_order):
        return
    # 2. With the rows held, read what is stored now (a statement after the claim sees a load
    #    that committed meanwhile): a staged version no newer than it is not written.
    conn.execute(
        update(stg_order)
        .where(
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
