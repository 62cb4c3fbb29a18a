"""Webhook pushes, run as RQ jobs on the ``ingest`` queue once the endpoint verified them."""

from __future__ import annotations

from db.engine import get_engine
from ingestion.connectors.registry import KINDS
from ingestion.sources import get_source
from ingestion.sync.mapping import Incoming
from ingestion.sync.syncing import sync_with_retry
from ingestion.sync.writing import Origin
from ingestion.sync.writing import load_page


def ingest_push(source_name: str, body: bytes) -> dict[str, int]:
    """A verified webhook push (an RQ job on the ``ingest`` queue).

    A push carrying the whole order (Shopify's) is loaded as it is; one that only names the
    changed order (Square's) triggers a sync of the source.
    """
    engine = get_engine()
    with engine.connect() as conn:
        source = get_source(conn, source_name)
    if not KINDS[source.kind].push.carries_order:
        result = sync_with_retry(source_name)
        return {"read": result.read, "rejected": result.rejected}
    origin = Origin(source.kind, source.instance, "webhook", source.name)
    result, rejects = load_page(engine, origin, [Incoming(None, body)])
    return {"read": result.read + len(rejects), "rejected": len(rejects)}
