"""The daily rollups every dashboard reads, rebuilt for exactly the days a batch touched.

Revenue counts on the order's day (net of tax, cancelled orders excluded);
refunds count on the day they were made; conversions are orders, except for
touchpoints whose conversion basis is opportunities, where they are won deals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import Column
from sqlalchemy import Connection
from sqlalchemy import Table
from sqlalchemy import case
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy import union_all

from db.rollup_lock import lock_rollups_for_recompute
from db.rollup_tables import DailyBasketRollup
from db.rollup_tables import DailyChannelBasketRollup
from db.rollup_tables import DailyChannelRollup
from db.rollup_tables import DailyProductRollup
from db.rollup_tables import DailyRollup
from db.schema import NO_PLACE
from db.schema import MarketingSpend
from db.schema import OrderLine
from db.schema import Product
from db.schema import Refund
from db.schema import SalesOrder
from db.schema import Touchpoint
from db.schema import Traffic
from db.temporary import temporary_table
from db.upsert import insert_for

# Days per statement: keeps IN lists and each transaction step small.
DAY_CHUNK = 200

MEASURES = (
    "gross_revenue",
    "refunds",
    "cost",
    "orders",
    "cancelled_orders",
    "units",
    "new_customers",
    "visits",
    "won",
    "spend",
)


def _zero(name: str):
    return literal(0).label(name)


# The order columns the rollups read: an order fact source (``_order_facts``) has them all.
ORDER_ROLLUP_COLUMNS = ("order_day", "touchpoint_id", "region_id", "location_id", "status")
ORDER_ROLLUP_COLUMNS += ("revenue_base", "cost_of_goods_base", "units", "is_new_customer")


def _order_facts(*where, orders=None):
    """Order facts; ``orders``: the rows to read (default: the order table), any subquery with
    the ``ORDER_ROLLUP_COLUMNS``."""
    order = SalesOrder.__table__ if orders is None else orders
    live = order.c.status != "cancelled"

    def when_live(value):
        return case((live, value), else_=0)

    return select(
        order.c.order_day.label("day"),
        order.c.touchpoint_id,
        func.coalesce(order.c.region_id, NO_PLACE).label("region_id"),
        func.coalesce(order.c.location_id, NO_PLACE).label("location_id"),
        when_live(order.c.revenue_base).label("gross_revenue"),
        _zero("refunds"),
        when_live(order.c.cost_of_goods_base).label("cost"),
        when_live(1).label("orders"),
        case((live, 0), else_=1).label("cancelled_orders"),
        when_live(order.c.units).label("units"),
        case((live & order.c.is_new_customer, 1), else_=0).label("new_customers"),
        _zero("visits"),
        _zero("won"),
        _zero("spend"),
    ).where(*where)


def _refund_facts(*where, refunds=None):
    """Refund facts; ``refunds``: the rows to read (default: the refund table), any subquery
    with its ``order_id``, ``order_day``, ``refund_day`` and ``amount_base``."""
    order = SalesOrder.__table__
    refund = Refund.__table__ if refunds is None else refunds
    facts = select(
        refund.c.refund_day.label("day"),
        order.c.touchpoint_id,
        func.coalesce(order.c.region_id, NO_PLACE),
        func.coalesce(order.c.location_id, NO_PLACE),
        _zero("gross_revenue"),
        refund.c.amount_base.label("refunds"),
        *(_zero(m) for m in MEASURES[2:]),
    ).where(order.c.status != "cancelled", *where)
    return facts.select_from(refund).join(
        order, (order.c.id == refund.c.order_id) & (order.c.order_day == refund.c.order_day)
    )


def _facts(days: list[dt.date]):
    """One UNION ALL of every fact source, on the rollup key, for the given days."""
    traffic = Traffic.__table__
    spend = MarketingSpend.__table__
    visits = select(
        traffic.c.day,
        traffic.c.touchpoint_id,
        traffic.c.region_id,
        traffic.c.location_id,
        *(_zero(m) for m in MEASURES[:7]),
        (traffic.c.sessions + traffic.c.footfall + traffic.c.opportunities).label("visits"),
        traffic.c.opportunities_won.label("won"),
        _zero("spend"),
    ).where(traffic.c.day.in_(days))
    spends = select(
        spend.c.day,
        spend.c.touchpoint_id,
        literal(NO_PLACE),
        literal(NO_PLACE),
        *(_zero(m) for m in MEASURES[:9]),
        spend.c.spend_base.label("spend"),
    ).where(spend.c.day.in_(days))
    return union_all(
        _order_facts(SalesOrder.__table__.c.order_day.in_(days)),
        _refund_facts(Refund.__table__.c.refund_day.in_(days)),
        visits,
        spends,
    ).subquery("facts")


def _rollup_select(facts):
    touchpoint = Touchpoint.__table__
    sums = {m: func.sum(facts.c[m]) for m in MEASURES}
    conversions = case(
        (touchpoint.c.conversion_basis == "opportunities", sums["won"]), else_=sums["orders"]
    )
    return (
        select(
            facts.c.day,
            facts.c.touchpoint_id,
            facts.c.region_id,
            facts.c.location_id,
            *(sums[m] for m in MEASURES if m != "won"),
            conversions,
        )
        .join(touchpoint, touchpoint.c.id == facts.c.touchpoint_id)
        # SQLite needs a WHERE before an upsert's ON CONFLICT (its parser's ambiguity).
        .where(literal(True))
        .group_by(
            facts.c.day,
            facts.c.touchpoint_id,
            facts.c.region_id,
            facts.c.location_id,
            touchpoint.c.conversion_basis,
        )
    )


# The product rollups' source: each line (its columns) with its order's columns.
ORDER_FACT_COLUMNS = ("order_day", "touchpoint_id", "region_id", "location_id", "status", "fx_rate")
LINE_FACT_COLUMNS = ("product_id", "qty", "line_total", "unit_cost")


def stored_lines():
    """The stored lines with their orders' columns (``ORDER_FACT_COLUMNS``,
    ``LINE_FACT_COLUMNS``), as a subquery."""
    order = SalesOrder.__table__
    line = OrderLine.__table__
    return (
        select(*(order.c[c] for c in ORDER_FACT_COLUMNS), *(line.c[c] for c in LINE_FACT_COLUMNS))
        .join_from(
            order, line, (line.c.order_id == order.c.id) & (line.c.order_day == order.c.order_day)
        )
        .subquery("lines")
    )


def _product_select(lines, *where):
    """Product facts of ``lines`` (a subquery like ``stored_lines``) per day and product."""
    facts = select(
        lines.c.order_day,
        lines.c.touchpoint_id,
        func.coalesce(lines.c.region_id, NO_PLACE),
        func.coalesce(lines.c.location_id, NO_PLACE),
        lines.c.product_id,
        func.count(),
        func.sum(lines.c.qty),
        func.sum(func.round(lines.c.line_total * lines.c.fx_rate, 2)),
        func.sum(func.round(lines.c.qty * lines.c.unit_cost * lines.c.fx_rate, 2)),
    )
    return facts.where(
        lines.c.status != "cancelled", lines.c.product_id.is_not(None), *where
    ).group_by(
        lines.c.order_day,
        lines.c.touchpoint_id,
        lines.c.region_id,
        lines.c.location_id,
        lines.c.product_id,
    )


def _basket_select(product_facts):
    """The product-level rows of ``product_facts`` (a ``_product_select``) summed per product
    category."""
    facts = product_facts.subquery("product_facts")
    product = Product.__table__
    day, touchpoint, region, location, product_id, lines, units, revenue, cost = facts.c
    category = func.coalesce(product.c.category, literal(""))
    return (
        select(
            day,
            touchpoint,
            region,
            location,
            category,
            func.sum(lines),
            func.sum(units),
            func.sum(revenue),
            func.sum(cost),
        )
        .select_from(facts.join(product, product.c.id == product_id))
        .group_by(day, touchpoint, region, location, category)
    )


ROLLUP_COLUMNS = [
    "day",
    "touchpoint_id",
    "region_id",
    "location_id",
    *(m for m in MEASURES if m != "won"),
    "conversions",
]
PRODUCT_ROLLUP_COLUMNS = [
    "day",
    "touchpoint_id",
    "region_id",
    "location_id",
    "product_id",
    "lines",
    "units",
    "revenue",
    "cost",
]
BASKET_ROLLUP_COLUMNS = [
    "day",
    "touchpoint_id",
    "region_id",
    "location_id",
    "product_category",
    "lines",
    "units",
    "revenue",
    "cost",
]


# Each channel rollup and the rollup it sums over regions and locations.
CHANNEL_ROLLUPS = (
    (DailyRollup.__table__, DailyChannelRollup.__table__),
    (DailyBasketRollup.__table__, DailyChannelBasketRollup.__table__),
)


def refresh_channel_rollups(conn: Connection, days: Iterable[dt.date]) -> None:
    """Re-sum both channel rollups of these days from the daily and the basket rollup, over
    regions and locations (caller's transaction)."""
    ordered = sorted(set(days))
    for start in range(0, len(ordered), DAY_CHUNK):
        chunk = ordered[start : start + DAY_CHUNK]
        for source, target in CHANNEL_ROLLUPS:
            keys = [source.c[c.name] for c in target.primary_key.columns]
            measures = [c.name for c in target.columns if not c.primary_key]
            summed = (
                select(*keys, *(func.sum(source.c[m]) for m in measures))
                .where(source.c.day.in_(chunk))
                .group_by(*keys)
            )
            conn.execute(delete(target).where(target.c.day.in_(chunk)))
            conn.execute(target.insert().from_select([k.name for k in keys] + measures, summed))


def refresh_rollups(conn: Connection, days: Iterable[dt.date]) -> None:
    """Recompute the rollups for these days, inside the caller's transaction."""
    ordered = sorted(set(days))
    if ordered:
        lock_rollups_for_recompute(conn)
    rollup = DailyRollup.__table__
    product_rollup = DailyProductRollup.__table__
    basket_rollup = DailyBasketRollup.__table__
    lines = stored_lines()
    for start in range(0, len(ordered), DAY_CHUNK):
        chunk = ordered[start : start + DAY_CHUNK]
        conn.execute(delete(rollup).where(rollup.c.day.in_(chunk)))
        conn.execute(rollup.insert().from_select(ROLLUP_COLUMNS, _rollup_select(_facts(chunk))))
        conn.execute(delete(product_rollup).where(product_rollup.c.day.in_(chunk)))
        conn.execute(
            product_rollup.insert().from_select(
                PRODUCT_ROLLUP_COLUMNS, _product_select(lines, lines.c.order_day.in_(chunk))
            )
        )
        conn.execute(delete(basket_rollup).where(basket_rollup.c.day.in_(chunk)))
        conn.execute(
            basket_rollup.insert().from_select(
                BASKET_ROLLUP_COLUMNS,
                _basket_select(_product_select(lines, lines.c.order_day.in_(chunk))),
            )
        )
        refresh_channel_rollups(conn, chunk)


def _add_to(conn: Connection, table, columns: list[str], rows) -> None:
    """Insert ``rows`` (a SELECT of ``columns``), adding the measures where the key exists."""
    keys = [c.name for c in table.primary_key.columns]
    ordered = rows.order_by(*(rows.selected_columns[k] for k in keys))  # see db.rollup_lock
    statement = insert_for(conn, table).from_select(columns, ordered)
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={c: table.c[c] + statement.excluded[c] for c in columns if c not in keys},
    )
    conn.execute(statement)


def _added_rows(conn: Connection, table: Table, columns: list[str], rows) -> Table:
    """``rows`` (a SELECT of ``columns``) in a temporary table shaped like ``table``."""
    shape = (Column(c.name, c.type) for c in table.columns)
    added = temporary_table(conn, f"added_{table.name}", *shape)
    conn.execute(added.insert().from_select(columns, rows))
    return added


def _add_rows(conn: Connection, table: Table, added: Table, columns: list[str], channel=None):
    """Add the ``added`` rows to ``table`` and their sums over places to its ``channel`` rollup
    (the change re-summing the days they touch would make)."""
    _add_to(conn, table, columns, select(*(added.c[c] for c in columns)).where(literal(True)))
    if channel is not None:
        keys = [added.c[c.name] for c in channel.primary_key.columns]
        measures = [c.name for c in channel.columns if not c.primary_key]
        sums = select(*keys, *(func.sum(added.c[m]) for m in measures)).where(literal(True))
        _add_to(conn, channel, [k.name for k in keys] + measures, sums.group_by(*keys))


def add_new_orders(
    conn: Connection, new_orders, new_lines, new_refunds, stale_days: Iterable[dt.date]
) -> None:
    """Add orders new to the table (``new_orders``: a subquery of the ``ORDER_ROLLUP_COLUMNS``),
    their lines (``new_lines``: like ``stored_lines``) and refunds (``new_refunds``:
    ``order_id``, ``order_day``, ``refund_day``, ``amount_base``), such as the loader's staged
    rows, read instead of searching the stored ones, to the rollups and the channel rollups,
    leaving out ``stale_days``, which the caller recomputes whole.

    Far cheaper than recomputing the days a batch touched: only the new rows are read (the
    lines grouped once, per product, then summed per category)."""
    stale = sorted(set(stale_days))
    facts = union_all(
        _order_facts(new_orders.c.order_day.not_in(stale), orders=new_orders),
        _refund_facts(new_refunds.c.refund_day.not_in(stale), refunds=new_refunds),
    ).subquery("facts")
    (rollup, channel_rollup), (basket_rollup, channel_basket_rollup) = CHANNEL_ROLLUPS
    daily = _added_rows(conn, rollup, ROLLUP_COLUMNS, _rollup_select(facts))
    _add_rows(conn, rollup, daily, ROLLUP_COLUMNS, channel_rollup)
    product_rollup = DailyProductRollup.__table__
    products = _product_select(new_lines, new_lines.c.order_day.not_in(stale))
    products = _added_rows(conn, product_rollup, PRODUCT_ROLLUP_COLUMNS, products)
    baskets = _basket_select(select(*(products.c[c] for c in PRODUCT_ROLLUP_COLUMNS)))
    baskets = _added_rows(conn, basket_rollup, BASKET_ROLLUP_COLUMNS, baskets)
    _add_rows(conn, product_rollup, products, PRODUCT_ROLLUP_COLUMNS)
    _add_rows(conn, basket_rollup, baskets, BASKET_ROLLUP_COLUMNS, channel_basket_rollup)


def rebuild_all(conn: Connection) -> int:
    """Recompute the rollups for every day that has any fact; returns the number of days."""
    lock_rollups_for_recompute(conn)
    order = SalesOrder.__table__
    days = set(conn.execute(select(order.c.order_day).distinct()).scalars())
    days |= set(conn.execute(select(Refund.__table__.c.refund_day).distinct()).scalars())
    days |= set(conn.execute(select(Traffic.__table__.c.day).distinct()).scalars())
    days |= set(conn.execute(select(MarketingSpend.__table__.c.day).distinct()).scalars())
    conn.execute(delete(DailyRollup.__table__))
    conn.execute(delete(DailyChannelRollup.__table__))
    conn.execute(delete(DailyProductRollup.__table__))
    conn.execute(delete(DailyBasketRollup.__table__))
    conn.execute(delete(DailyChannelBasketRollup.__table__))
    refresh_rollups(conn, days)
    return len(days)
