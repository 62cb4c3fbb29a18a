"""Customers' first orders and the new-customer flag, kept right as orders arrive in any order.

A customer's first live order (earliest ``ordered_at``, then lowest id) carries
``is_new_customer``; the ``customer`` table holds its time. A batch can only move a
customer's first order if it replaces one of their orders or brings one no later than
the stored first; everyone else keeps their flags and nothing is read for them.
Customers without a stored first order have no live order stored (the table is kept
in the same transaction as the orders), so their first order is found among the
staged ones without reading their history, and flagged before it is written.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column
from sqlalchemy import Connection
from sqlalchemy import DateTime
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import Table
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy import update

from db.schema import Customer
from db.schema import SalesOrder
from db.temporary import temporary_table
from db.upsert import insert_for


def stage_stored_firsts(conn: Connection, stg_order: Table) -> Table:
    """A temporary table of the stored first-order times of the batch's known customers (those
    with one), read once before the orders are written: the steps that need them read this
    instead of the customer index, which outgrows the cache as customers accumulate (three
    look-ups a staged order were a growing share of a long backfill's time)."""
    table = temporary_table(
        conn,
        "stg_customer",
        Column("customer_key", String(64), primary_key=True),
        Column("first_order_at", DateTime(timezone=True)),
    )
    customer = Customer.__table__
    keys = (
        select(stg_order.c.customer_key)
        .where(stg_order.c.customer_key.is_not(None))
        .distinct()
        .subquery("keys")
    )
    # One index look-up a key, whatever the planner guesses of the unanalysed staging table.
    stored = (
        select(customer.c.first_order_at)
        .where(customer.c.customer_key == keys.c.customer_key)
        .scalar_subquery()
    )
    found = select(keys.c.customer_key, stored.label("first_order_at")).subquery("found")
    conn.execute(
        table.insert().from_select(
            ["customer_key", "first_order_at"],
            select(found).where(found.c.first_order_at.is_not(None)),
        )
    )
    return table


def stage_first_orders(conn: Connection, stg_order: Table, stored: Table) -> Table:
    """A temporary table of the stage ids of new customers' first orders in the batch
    (``first_orders_of_new_customers``), made once before the orders are written: the order
    insert flags them and ``record_new_customers`` records their customers from it, without
    ranking them twice or reading the written orders back."""
    table = temporary_table(conn, "stg_first_order", Column("stage_id", Integer, primary_key=True))
    first = first_orders_of_new_customers(stg_order, stored)
    conn.execute(table.insert().from_select(["stage_id"], select(first.c.stage_id)))
    return table


def first_orders_of_new_customers(stg_order: Table, stored: Table):
    """Stage ids of each new customer's first order in the batch, to flag as it is written:
    customers with no stored first order (``stored``: ``stage_stored_firsts``) and only new
    orders in the batch, whose earliest live staged order is their first (staging order
    breaks ties, as the written ids will)."""
    # NOT IN, not NOT EXISTS: PostgreSQL hashes the subquery's keys once, whereas for an
    # anti join it trusts its guess about the unanalysed staging table, and a guess of one
    # replaced order gave a nested loop that scanned the table once per staged order.
    replaced = stg_order.alias("replaced")
    replaced_customers = select(replaced.c.customer_key).where(
        replaced.c.action == "update", replaced.c.customer_key.is_not(None)
    )
    ranked = (
        select(
            stg_order.c.stage_id,
            func.row_number()
            .over(
                partition_by=stg_order.c.customer_key,
                order_by=(stg_order.c.ordered_at, stg_order.c.stage_id),
            )
            .label("rank"),
        )
        .where(
            stg_order.c.customer_key.is_not(None),
            stg_order.c.action == "insert",
            stg_order.c.status != "cancelled",
            ~exists().where(stored.c.customer_key == stg_order.c.customer_key),
            stg_order.c.customer_key.not_in(replaced_customers),
        )
        .subquery("ranked")
    )
    return select(ranked.c.stage_id).where(ranked.c.rank == 1).subquery("first_orders")


def refresh_first_orders(
    conn: Connection, stg_order: Table, first_orders: Table, stored: Table
) -> set[tuple[int, dt.date]]:
    """After the staged orders are written: flags and first-order times for their customers
    (new customers' orders were written flagged, see ``stage_first_orders``); returns
    (order id, day) of every stored order whose flag changed."""
    # Known customers first: the second step adds the new ones to the customer table.
    flipped = reflag_customers(conn, customers_to_recheck(stg_order, stored))
    recorded_meanwhile = record_new_customers(conn, stg_order, first_orders)
    if recorded_meanwhile:
        flipped |= reflag_customers(conn, recorded_meanwhile)
    return flipped


def customers_to_recheck(stg_order: Table, stored: Table):
    """Keys of customers whose first order this batch may change: an order of theirs was
    replaced, or a new one is not later than their stored first order (``stored``:
    ``stage_stored_firsts``)."""
    return (
        select(stg_order.c.customer_key)
        .join(stored, stored.c.customer_key == stg_order.c.customer_key, isouter=True)
        .where(
            stg_order.c.customer_key.is_not(None),
            (stg_order.c.action == "update")
            | (
                (stg_order.c.action == "insert")
                & (stg_order.c.ordered_at <= stored.c.first_order_at)
            ),
        )
        .distinct()
    )


def record_new_customers(conn: Connection, stg_order: Table, first_orders: Table) -> list[str]:
    """The first-order time of every new customer, from their order written flagged
    (``first_orders``: from ``stage_first_orders``). Returns the keys of those another writer
    recorded meanwhile, in key order: a push and a sync of one source can each bring a first
    order of the same new customer at once, both written flagged; the caller rechecks them
    (now, or at the sync's settle), and the customer's row stays as the other writer left it
    until then."""
    customer = Customer.__table__
    firsts = select(stg_order.c.customer_key, stg_order.c.ordered_at).join(
        first_orders, first_orders.c.stage_id == stg_order.c.stage_id
    )
    statement = insert_for(conn, customer).from_select(["customer_key", "first_order_at"], firsts)
    recorded = set(
        conn.execute(
            statement.on_conflict_do_nothing(index_elements=["customer_key"]).returning(
                customer.c.customer_key
            )
        ).scalars()
    )
    if len(recorded) == conn.execute(select(func.count()).select_from(first_orders)).scalar():
        return []
    firsts_keys = conn.execute(select(firsts.subquery().c.customer_key)).scalars()
    return sorted(set(firsts_keys) - recorded)


def customers_named(keys: list[str]):
    """A SELECT of the stored customers among ``keys``, for what takes keys as a query."""
    customer = Customer.__table__
    return select(customer.c.customer_key).where(customer.c.customer_key.in_(keys))


def reflag_customers(conn: Connection, keys) -> set[tuple[int, dt.date]]:
    """Flag each customer's (``keys``: a SELECT or a list of customer keys) earliest live
    order as new;
    return (order id, day) of every order whose flag changed."""
    order = SalesOrder.__table__
    customer = Customer.__table__
    live = order.c.status != "cancelled"
    first = (
        select(
            order.c.customer_key,
            func.min(order.c.ordered_at).label("first_order_at"),
        )
        .where(order.c.customer_key.in_(keys), live)
        .group_by(order.c.customer_key)
    )
    statement = insert_for(conn, customer).from_select(
        ["customer_key", "first_order_at"], first.where(literal(True))
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["customer_key"],
            set_={"first_order_at": statement.excluded.first_order_at},
        )
    )
    ranked = (
        select(
            order.c.id,
            order.c.order_day,
            (
                func.row_number().over(
                    partition_by=order.c.customer_key, order_by=(order.c.ordered_at, order.c.id)
                )
                == 1
            ).label("is_first"),
        )
        .where(order.c.customer_key.in_(keys), live)
        .subquery()
    )
    flipped = set(
        conn.execute(
            update(order)
            .where(
                order.c.id == ranked.c.id,
                order.c.order_day == ranked.c.order_day,
                order.c.is_new_customer != ranked.c.is_first,
            )
            .values(is_new_customer=ranked.c.is_first)
            .returning(order.c.id, order.c.order_day)
        ).tuples()
    )
    flipped |= set(
        conn.execute(
            update(order)
            .where(order.c.customer_key.in_(keys), ~live, order.c.is_new_customer.is_(True))
            .values(is_new_customer=False)
            .returning(order.c.id, order.c.order_day)
        ).tuples()
    )
    return flipped
