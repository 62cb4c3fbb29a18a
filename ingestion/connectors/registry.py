"""Every source kind, one line each: a new connector is its module plus one line here."""

from __future__ import annotations

from collections.abc import Callable

from ingestion.connectors import files, ga4, salesforce, sap, shopify, square
from ingestion.connectors.kind import LoadStrategy, SourceKind

KINDS: dict[str, SourceKind] = {
    kind.name: kind
    for kind in (
        shopify.KIND,
        square.KIND,
        salesforce.KIND,
        sap.KIND,
        ga4.KIND,
        files.KIND,
    )
}

# Order payload → canonical order (None: a record that is not an order, e.g. a lost deal).
ORDER_MAPPERS: dict[str, Callable] = {
    kind.name: kind.mapper for kind in KINDS.values() if kind.load is LoadStrategy.ORDERS
}
