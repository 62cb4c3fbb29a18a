"""Customer journeys: 1–5 touches across touchpoints and devices before some orders."""

from __future__ import annotations

import numpy as np

from ingestion.demo.marketing import CAMPAIGNS
from ingestion.demo.orders import DayOrders
from ingestion.demo.reference import APP
from ingestion.demo.reference import MARKETPLACE
from ingestion.demo.reference import STORE
from ingestion.demo.reference import TOUCHPOINTS
from ingestion.demo.reference import WEB

JOURNEY_SHARE = 0.2  # of online and store orders with a known customer
TOUCH_COUNT = np.cumsum([0.3, 0.25, 0.2, 0.15, 0.1])
EARLIER_TOUCHPOINTS = np.array([WEB, APP, MARKETPLACE, STORE])
EARLIER_CUM = np.cumsum([0.4, 0.3, 0.1, 0.2])
DEVICES = {
    WEB: (["desktop", "mobile_web", "tablet"], np.cumsum([0.6, 0.32, 0.08])),
    APP: (["ios", "android"], np.cumsum([0.6, 0.4])),
    MARKETPLACE: (["desktop", "mobile_web"], np.cumsum([0.55, 0.45])),
    STORE: (["in_store"], np.array([1.0])),
}
TOUCH_SOURCE = {WEB: "ga4", APP: "ga4", MARKETPLACE: "shopify", STORE: "square"}
CAMPAIGN_SHARE = 0.6
LOOKBACK_US = 14 * 86_400 * 1_000_000


def touch_rows(day: DayOrders, rng: np.random.Generator) -> dict[str, np.ndarray]:
    orders = day.orders
    n = len(day.touchpoint)
    eligible = (
        np.isin(day.touchpoint, EARLIER_TOUCHPOINTS)
        & (orders["touchpoint_code"] != "unassigned")
        & np.array([k is not None for k in orders["customer_key"]], dtype=bool)
    )
    chosen = np.flatnonzero(eligible & (rng.random(n) < JOURNEY_SHARE))
    count = 1 + np.minimum(np.searchsorted(TOUCH_COUNT, rng.random(chosen.size), side="right"), 4)
    order = np.repeat(chosen, count)
    m = order.size
    is_last = np.zeros(m, dtype=bool)
    is_last[np.cumsum(count) - 1] = True

    earlier = EARLIER_TOUCHPOINTS[
        np.minimum(np.searchsorted(EARLIER_CUM, rng.random(m), side="right"), 3)
    ]
    tp = np.where(is_last, day.touchpoint[order], earlier)
    offset_us = np.where(
        is_last, rng.integers(1, 300_000_000, m), rng.integers(600_000_000, LOOKBACK_US, m)
    )
    # Earlier touches in time order: larger offsets first within each journey.
    arrangement = np.lexsort((-offset_us, is_last, order))
    order, tp, offset_us, is_last = (a[arrangement] for a in (order, tp, offset_us, is_last))

    device_draw, campaign_draw, campaign_pick = rng.random(m), rng.random(m), rng.random(m)
    device = np.empty(m, dtype=object)
    campaign = np.full(m, None, dtype=object)
    source = np.empty(m, dtype=object)
    for t, (names, cum) in DEVICES.items():
        mine = tp == t
        device[mine] = np.array(names, dtype=object)[
            np.minimum(np.searchsorted(cum, device_draw[mine], side="right"), len(names) - 1)
        ]
        source[mine] = TOUCH_SOURCE[t]
        options = np.array([c.name for c in CAMPAIGNS if c.touchpoint == t], dtype=object)
        if options.size:
            paid = mine & (campaign_draw < CAMPAIGN_SHARE)
            campaign[paid] = options[(campaign_pick[paid] * options.size).astype(int)]
    source[is_last] = orders["source_system"][order[is_last]]
    order_id = np.where(is_last, orders["source_order_id"][order], None)
    return {
        "customer_key": orders["customer_key"][order],
        "touched_at": day.ordered_ns[order] - offset_us * 1000,
        "touchpoint_code": np.array(TOUCHPOINTS, dtype=object)[tp],
        "device": device,
        "campaign": campaign,
        "source_order_id": order_id,
        "source_system": source,
    }
