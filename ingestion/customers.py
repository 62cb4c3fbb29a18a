"""Customers' first orders and the new-customer flag, kept right as orders arrive in any order.

A customer's first live order (earliest ``ordered_at``, then lowest id) carries
``is_new_customer``; the ``customer`` table holds its time. A batch can only move a
customer's first order if it replaces one of their orders or brings one no later than
the stored first; everyone else keeps their flags and nothing is read for them.
Customers without a stored first order have no live order stored (the table is kept
in the same transaction as the orders), so their first order is found among the
staged ones without reading their history.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, Table, exists, func, literal, select, update

from db.schema import Customer, SalesOrder
from db.upsert import insert_for


def refresh_first_orders(conn: Connection, stg_order: Table) -> set[tuple[int, dt.date]]:
    """Flags and first-order times for the customers of the staged (written) orders;
    returns (order id, day) of every order whose flag changed."""
    # Known customers first: the second step adds the unknown ones to the customer table.
    flipped = _reflag(conn, _customers_to_recheck(stg_order))
    return flipped | _first_orders_of_unknown_customers(conn, stg_order)


def _stored_first(stg_order: Table):
    customer = Customer.__table__
    return exists().where(
        customer.c.customer_key == stg_order.c.customer_key,
        customer.c.first_order_at.is_not(None),
    )


def _customers_to_recheck(stg_order: Table):
    """Keys of known customers whose first order this batch may change: an order of theirs
    was replaced, or a new one is not later than their stored first order."""
    customer = Customer.__table__
    return (
        select(stg_order.c.customer_key)
        .join(customer, customer.c.customer_key == stg_order.c.customer_key, isouter=True)
        .where(
            stg_order.c.customer_key.is_not(None),
            (stg_order.c.action == "update")
            | (
                (stg_order.c.action == "insert")
                & (stg_order.c.ordered_at <= customer.c.first_order_at)
            ),
        )
        .distinct()
    )


def _first_orders_of_unknown_customers(
    conn: Connection, stg_order: Table
) -> set[tuple[int, dt.date]]:
    """Customers with no stored first order and only new orders in the batch: the earliest
    live staged order is their first."""
    replaced = stg_order.alias("replaced")
    has_replacement = exists().where(
        replaced.c.customer_key == stg_order.c.customer_key, replaced.c.action == "update"
    )
    ranked = (
        select(
            stg_order.c.order_id,
            stg_order.c.customer_key,
            stg_order.c.ordered_at,
            func.row_number()
            .over(
                partition_by=stg_order.c.customer_key,
                order_by=(stg_order.c.ordered_at, stg_order.c.order_id),
            )
            .label("rank"),
        )
        .where(
            stg_order.c.customer_key.is_not(None),
            stg_order.c.action == "insert",
            stg_order.c.order_id.is_not(None),
            stg_order.c.status != "cancelled",
            ~_stored_first(stg_order),
            ~has_replacement,
        )
        .subquery("ranked")
    )
    order = SalesOrder.__table__
    # Flags before the customer rows: inserting those changes what ``ranked`` selects.
    flagged = set(
        conn.execute(
            update(order)
            .where(
                order.c.id == ranked.c.order_id,
                ranked.c.rank == 1,
                order.c.is_new_customer.is_(False),
            )
            .values(is_new_customer=True)
            .returning(order.c.id, order.c.order_day)
        ).tuples()
    )
    customer = Customer.__table__
    statement = insert_for(conn, customer).from_select(
        ["customer_key", "first_order_at"],
        select(ranked.c.customer_key, ranked.c.ordered_at).where(ranked.c.rank == 1),
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["customer_key"],
            set_={"first_order_at": statement.excluded.first_order_at},
        )
    )
    return flagged


def _reflag(conn: Connection, keys) -> set[tuple[int, dt.date]]:
    """Flag each touched customer's earliest live order as new; return (order id, day) of
    every order whose flag changed."""
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
            .where(order.c.id == ranked.c.id, order.c.is_new_customer != ranked.c.is_first)
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
