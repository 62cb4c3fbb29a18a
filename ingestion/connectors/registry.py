"""Every source kind, one line each: a new connector is its module plus one line here."""

from __future__ import annotations

from collections.abc import Callable

from ingestion.connectors import files
from ingestion.connectors import ga4
from ingestion.connectors import salesforce
from ingestion.connectors import sap
from ingestion.connectors import shopify
from ingestion.connectors import square
from ingestion.connectors.kind import LoadStrategy
from ingestion.connectors.kind import SourceKind

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
