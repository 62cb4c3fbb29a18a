"""Reference data the demo's sources do not carry: region, exchange rate, unit cost.

The connectors give what the payload says: Shopify an ISO 3166 country, Square its
location id, SAP and Salesforce no place at all, and no source an exchange rate or a
product's cost. The retailer's reference data fills them in: the region of a
country, of a store, of an SAP sales organisation or of a CRM account's billing
country; the rate of the order's (or the ad spend's) currency; the cost of the SKU in
the region.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ingestion.batch import ORDER_KEY, OrderBatch
from ingestion.demo.native import COUNTRY_OF_REGION, SALES_ORG_OF_REGION
from ingestion.demo.pricing import local_costs
from ingestion.demo.reference import FX_TO_USD, REGION_CODES, STORES, catalogue

REGION_OF_COUNTRY = {country: region for region, country in COUNTRY_OF_REGION.items()}
REGION_OF_SALES_ORG = {org: region for region, org in SALES_ORG_OF_REGION.items()}
REGION_OF_STORE = {code: region for code, _, region, _ in STORES}


def _unit_costs() -> dict[tuple[str, str], int]:
    cat = catalogue()
    costs = local_costs(cat)
    return {
        (region, sku): int(costs[r, p])
        for r, region in enumerate(REGION_CODES)
        for p, sku in enumerate(cat.sku.tolist())
    }


UNIT_COST = _unit_costs()


def _payload_region(system: str, payload: dict | None, code: str | None, location: str | None):
    if system == "square":
        return REGION_OF_STORE.get(location)
    if system == "shopify":
        return REGION_OF_COUNTRY.get((code or "").split("-")[0])
    if payload is None:
        return None
    if system == "sap":
        return REGION_OF_SALES_ORG.get(payload.get("SalesOrganization"))
    if system == "salesforce":
        return REGION_OF_COUNTRY.get((payload.get("Account") or {}).get("BillingCountryCode"))
    return code


def enrich(batch: OrderBatch) -> OrderBatch:
    """The batch with the demo's region codes, exchange rates and unit costs."""
    orders = batch.orders.copy()
    orders["region_code"] = [
        _payload_region(*values)
        for values in zip(
            orders["source_system"].tolist(),
            orders["payload"].tolist(),
            orders["region_code"].tolist(),
            orders["location_code"].tolist(),
            strict=True,
        )
    ]
    orders["fx_rate"] = orders["currency"].map(FX_TO_USD).astype("float64")
    lines = batch.lines.copy()
    if len(lines):
        region = lines[ORDER_KEY].merge(
            orders[[*ORDER_KEY, "region_code"]].drop_duplicates(ORDER_KEY), on=ORDER_KEY, how="left"
        )["region_code"]
        keys = zip(region.tolist(), lines["sku"].tolist(), strict=True)
        cost = [UNIT_COST.get(key, 0) for key in keys]
        lines["unit_cost_minor"] = np.asarray(cost, dtype=np.int64)
    else:
        lines["unit_cost_minor"] = pd.Series(dtype="int64")
    return OrderBatch(orders, lines, batch.refunds)


def enrich_spend(spend: pd.DataFrame) -> pd.DataFrame:
    """Ad spend with the exchange rate of its currency (ad platforms report none)."""
    return spend.assign(fx_rate=spend["currency"].map(FX_TO_USD).astype("float64"))
