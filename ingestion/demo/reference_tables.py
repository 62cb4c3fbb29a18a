"""The demo retailer's reference tables: what its sources' payloads do not carry.

The connectors give what the payload says: Shopify a shipping country, Square its
location id, SAP a sales organisation, Salesforce the account's billing country, and
no source an exchange rate or a product's cost. As a real deployment would, the demo
writes its reference data into the tables the ingestion's enrichment reads
(``ingestion.enrich``): a daily exchange rate per currency, the region of each country
and SAP sales organisation (stores carry their region in the location table) and,
already in the product table, each product's unit cost.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import Connection

from db.settings import get_settings
from ingestion.demo.native import COUNTRY_OF_REGION
from ingestion.demo.native import SALES_ORG_OF_REGION
from ingestion.demo.reference import FX_TO_USD
from ingestion.enrich import ANY_SOURCE
from ingestion.enrich import MAX_RATE_AGE
from ingestion.reference import upsert_rates
from ingestion.reference import upsert_region_mappings

RATE_SOURCE = "demo"


def demo_rates(first: dt.date, last: dt.date) -> pd.DataFrame:
    """The demo's fixed rates, one row per foreign currency and day from ``first`` (less the
    staleness bound, for order days a time zone earlier) to ``last``."""
    base = get_settings().base_currency
    days = pd.date_range(first - MAX_RATE_AGE, last).date
    return pd.DataFrame(
        [
            (day, currency, rate)
            for currency, rate in FX_TO_USD.items()
            if currency != base
            for day in days
        ],
        columns=["day", "currency", "rate"],
    )


def demo_region_mappings() -> pd.DataFrame:
    rows = [(ANY_SOURCE, "country", c, region) for region, c in COUNTRY_OF_REGION.items()]
    rows += [("sap", "sales_org", org, region) for region, org in SALES_ORG_OF_REGION.items()]
    return pd.DataFrame(rows, columns=["source_system", "kind", "value", "region"])


def seed_reference_tables(conn: Connection, first: dt.date, last: dt.date) -> None:
    """Exchange rates for ``first``..``last`` and the region mappings, idempotently."""
    upsert_rates(conn, demo_rates(first, last), source=RATE_SOURCE)
    upsert_region_mappings(conn, demo_region_mappings())
