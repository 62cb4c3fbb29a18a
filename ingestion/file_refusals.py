"""What the load of a file's records refuses for want of reference data, found read-only: the
dry run reports these rejects, the load quarantines them.

A record the mapping accepts may still be refused when it loads: an order or ad spend in a
currency without an exchange rate near its day, an order whose amounts in the base currency
pass what can be stored (``ingestion.enrich``), traffic or stock naming a store, or stock a
SKU, that is not known. These are not faults of the row: once the reference data is there,
the record loads (a replay of its reject, or the file again).
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

from ingestion.canonical import spend_frame
from ingestion.canonical import to_order_batch
from ingestion.enrich import enrich_orders
from ingestion.enrich import enrich_spend
from ingestion.reference import Lookups
from ingestion.rules import load_rules


def by_position(orders: Sequence[Any], reasons: Mapping[str, str]) -> dict[int, str]:
    """Reasons given by order id, by the positions of the orders they are about."""
    return {
        n: reasons[order.source_order_id]
        for n, order in enumerate(orders)
        if order.source_order_id in reasons
    }


def _order_refusals(conn: Connection, orders: Sequence[Any], lookups: Lookups) -> dict[int, str]:
    _, refused = enrich_orders(conn, to_order_batch(orders, load_rules(conn)), lookups)
    reasons = dict(zip(refused["source_order_id"], refused["reason"], strict=True))
    return by_position(orders, reasons)


def _unknown_places(kind: str, records: Sequence[Any], lookups: Lookups) -> dict[int, str]:
    """Traffic or stock naming a store (stock: or a SKU) that is not known, by position."""
    reasons = {}
    if kind not in ("traffic", "inventory"):
        return reasons
    for n, record in enumerate(records):
        if record.location_code is not None and record.location_code not in lookups.location:
            reasons[n] = f"unknown location {record.location_code!r}"
        elif kind == "inventory" and record.sku not in lookups.product:
            reasons[n] = f"unknown SKU {record.sku!r}"
    return reasons


def refusals(
    conn: Connection, kind: str, records: Sequence[Any], lookups: Lookups | None = None
) -> dict[int, str]:
    """Why the load would refuse each of ``records`` (canonical records of ``kind``), by
    position; reads the reference tables and the exchange rates, writes nothing."""
    if not records:
        return {}
    lookups = lookups or Lookups.load(conn)
    if kind == "orders":
        return _order_refusals(conn, records, lookups)
    reasons = _unknown_places(kind, records, lookups)
    if kind == "spend":
        _, no_rate = enrich_spend(conn, spend_frame(records))
        reasons.update(no_rate.items())
    return reasons
