"""The demo's sources as configured sources: one row per system the demo's data comes from, so
the Sources page and ``channelperf sources list`` show each with its runs, lag and row counts.

The demo generates these systems' payloads and exports instead of calling them, so they are
registered disabled: the ingest worker does not poll them (an admin may point one at a real
system, give it its credential variable and enable it).
"""

from __future__ import annotations

from dataclasses import dataclass

from db.roles import Actor
from ingestion.demo.reference import SOURCE_OF_TOUCHPOINT
from ingestion.sources import SourceInfo
from ingestion.sources import add_source
from ingestion.sources import list_sources

INSTANCE_OF_SYSTEM = dict(SOURCE_OF_TOUCHPOINT)
GA4_INSTANCE = "property-1"
FILES_INSTANCE = "demo-exports"


@dataclass(frozen=True)
class DemoSource:
    name: str
    kind: str
    instance: str
    base_url: str
    secret_env: str | None
    webhook_secret_env: str | None = None


DEMO_SOURCES = (
    DemoSource(
        "demo-shopify",
        "shopify",
        INSTANCE_OF_SYSTEM["shopify"],
        "https://demo-store.myshopify.com/",
        "SHOPIFY_TOKEN",
        "SHOPIFY_WEBHOOK_SECRET",
    ),
    DemoSource(
        "demo-square",
        "square",
        INSTANCE_OF_SYSTEM["square"],
        "https://connect.squareup.com/",
        "SQUARE_TOKEN",
        "SQUARE_WEBHOOK_KEY",
    ),
    DemoSource(
        "demo-sap", "sap", INSTANCE_OF_SYSTEM["sap"], "https://s4h.example.com/", "SAP_TOKEN"
    ),
    DemoSource(
        "demo-salesforce",
        "salesforce",
        INSTANCE_OF_SYSTEM["salesforce"],
        "https://demo.my.salesforce.com/",
        "SALESFORCE_TOKEN",
    ),
    DemoSource(
        "demo-ga4", "ga4", GA4_INSTANCE, "https://analyticsdata.googleapis.com/", "GA4_TOKEN"
    ),
    DemoSource("demo-exports", "file", FILES_INSTANCE, "var/drops/demo", None),
)


def register_demo_sources(actor: Actor) -> list[SourceInfo]:
    """Add the demo's sources that are not configured yet (disabled); returns those added."""
    actor.require("admin", "add the demo's sources")
    present = {s.name for s in list_sources()}
    return [
        add_source(
            s.name,
            s.kind,
            s.instance,
            s.base_url,
            secret_env=s.secret_env,
            webhook_secret_env=s.webhook_secret_env,
            enabled=False,
            actor=actor,
        )
        for s in DEMO_SOURCES
        if s.name not in present
    ]
