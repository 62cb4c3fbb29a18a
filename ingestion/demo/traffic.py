"""One day of conversion denominators (sessions, footfall, opportunities) and marketing spend."""

from __future__ import annotations

import numpy as np

from ingestion.demo.marketing import CAMPAIGNS
from ingestion.demo.plan import NO_STORE
from ingestion.demo.plan import WIN_RATE
from ingestion.demo.plan import DemandPlan
from ingestion.demo.reference import APP
from ingestion.demo.reference import FX_TO_USD
from ingestion.demo.reference import MARKETPLACE
from ingestion.demo.reference import OPPORTUNITY_BASED
from ingestion.demo.reference import REGION_CODES
from ingestion.demo.reference import SOURCE_OF_TOUCHPOINT
from ingestion.demo.reference import STORE
from ingestion.demo.reference import STORE_CODES
from ingestion.demo.reference import TOUCHPOINTS
from ingestion.demo.reference import WEB

TRAFFIC_SOURCE = {WEB: "ga4", APP: "ga4", MARKETPLACE: "shopify", STORE: "square"}
for _tp in OPPORTUNITY_BASED:
    TRAFFIC_SOURCE[_tp] = SOURCE_OF_TOUCHPOINT[_tp][0]


def traffic_rows(
    plan: DemandPlan, i: int, rng: np.random.Generator, orders_per_cell: np.ndarray
) -> dict[str, np.ndarray]:
    """One row per cell; `opportunities_won` is exactly the cell's orders that day."""
    cells = plan.cells
    n = len(cells)
    noise = rng.lognormal(0.0, 0.07, n)
    lost = rng.poisson(plan.orders[i] * (1 - WIN_RATE) / WIN_RATE)
    visits = np.round(plan.visitors_orders[i] / plan.conversion[i] * noise).astype(np.int64)
    visits = np.maximum(visits, orders_per_cell)
    is_store = cells.store != NO_STORE
    is_opportunity = np.isin(cells.touchpoint, OPPORTUNITY_BASED)
    is_session = ~is_store & ~is_opportunity
    zero = np.zeros(n, dtype=np.int64)
    return {
        "day": np.full(n, plan.days[i], dtype=object),
        "touchpoint_code": np.array(TOUCHPOINTS, dtype=object)[cells.touchpoint],
        "region_code": np.array(REGION_CODES, dtype=object)[cells.region],
        "location_code": np.where(
            is_store, np.array(STORE_CODES, dtype=object)[np.maximum(cells.store, 0)], None
        ),
        "source_system": np.array([TRAFFIC_SOURCE[t] for t in cells.touchpoint], dtype=object),
        "sessions": np.where(is_session, visits, zero),
        "footfall": np.where(is_store, visits, zero),
        "opportunities": np.where(is_opportunity, orders_per_cell + lost, zero),
        "opportunities_won": np.where(is_opportunity, orders_per_cell, zero),
    }


def spend_rows(plan: DemandPlan, i: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One row per campaign that spent that day."""
    spend = plan.spend_minor[i]
    cpm = np.array([c.cpm_usd for c in CAMPAIGNS])
    ctr = np.array([c.ctr for c in CAMPAIGNS])
    fx = np.array([FX_TO_USD[c.currency] for c in CAMPAIGNS])
    noise = rng.lognormal(0.0, 0.1, len(CAMPAIGNS))
    impressions = np.round(spend * fx / 100 / cpm * 1000 * noise).astype(np.int64)
    clicks = rng.binomial(impressions, ctr).astype(np.int64)
    live = spend > 0
    return {
        "day": np.full(int(live.sum()), plan.days[i], dtype=object),
        "touchpoint_code": np.array([TOUCHPOINTS[c.touchpoint] for c in CAMPAIGNS], dtype=object)[
            live
        ],
        "campaign": np.array([c.name for c in CAMPAIGNS], dtype=object)[live],
        "source_system": np.array([c.source_system for c in CAMPAIGNS], dtype=object)[live],
        "currency": np.array([c.currency for c in CAMPAIGNS], dtype=object)[live],
        "spend_minor": spend[live],
        "fx_rate": fx[live],
        "impressions": impressions[live],
        "clicks": clicks[live],
    }
