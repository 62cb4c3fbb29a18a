"""Marketing campaigns: flighted daily spend and its diminishing-returns effect on orders.

The spend-driven part of a touchpoint's orders follows ``beta * log1p(spend / k)``
(k = the touchpoint's average daily spend), and spend switches between flights
and pauses, so the response curve is identifiable from the data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ingestion.demo.reference import APP
from ingestion.demo.reference import FX_TO_USD
from ingestion.demo.reference import MARKETPLACE
from ingestion.demo.reference import REP
from ingestion.demo.reference import TOUCHPOINTS
from ingestion.demo.reference import WEB


@dataclass(frozen=True)
class Campaign:
    touchpoint: int
    name: str
    source_system: str
    currency: str
    weight: float  # share of the touchpoint's spend
    cpm_usd: float  # cost per thousand impressions
    ctr: float  # clicks per impression
    flight_days: tuple[int, int]
    pause_days: tuple[int, int]


CAMPAIGNS = [
    Campaign(WEB, "search-brand", "google_ads", "USD", 0.35, 9.0, 0.06, (20, 60), (3, 10)),
    Campaign(WEB, "search-generic", "google_ads", "USD", 0.40, 12.0, 0.025, (10, 40), (7, 30)),
    Campaign(WEB, "social-prospecting-eu", "meta_ads", "EUR", 0.25, 7.0, 0.009, (7, 28), (7, 35)),
    Campaign(APP, "app-install", "apple_search_ads", "USD", 0.6, 15.0, 0.04, (10, 45), (5, 25)),
    Campaign(APP, "app-retargeting", "meta_ads", "USD", 0.4, 8.0, 0.012, (7, 30), (7, 30)),
    Campaign(
        MARKETPLACE, "sponsored-products", "amazon_ads", "USD", 0.7, 10.0, 0.02, (14, 50), (5, 25)
    ),
    Campaign(
        MARKETPLACE, "promoted-listings", "ebay_ads", "GBP", 0.3, 6.0, 0.015, (7, 30), (7, 40)
    ),
    Campaign(REP, "trade-shows", "salesforce", "USD", 0.6, 40.0, 0.01, (3, 6), (20, 60)),
    Campaign(REP, "linkedin-abm", "linkedin_ads", "USD", 0.4, 30.0, 0.006, (14, 45), (7, 30)),
]
# Orders per day = base × (ALPHA + BETA × log1p(spend / k)) for touchpoints with campaigns.
RESPONSE_ALPHA = 0.45
RESPONSE_BETA = {WEB: 0.65, APP: 0.9, MARKETPLACE: 0.7, REP: 0.5}
# Daily spend as a share of the touchpoint's expected revenue, and a rough order value (USD)
# used only to size budgets.
SPEND_RATIO = {WEB: 0.10, APP: 0.12, MARKETPLACE: 0.08, REP: 0.03}
ROUGH_AOV_USD = {WEB: 95.0, APP: 80.0, MARKETPLACE: 75.0, REP: 900.0}


def relative_spend(days: list[dt.date], seed: int) -> np.ndarray:
    """[day, campaign] spend in relative units: flights at random levels, pauses at zero."""
    spend = np.zeros((len(days), len(CAMPAIGNS)))
    weekend = np.array([d.weekday() >= 5 for d in days])
    for c, campaign in enumerate(CAMPAIGNS):
        rng = np.random.default_rng([seed, 10, c])
        position = int(rng.integers(0, campaign.pause_days[1]))
        while position < len(days):
            length = int(rng.integers(*campaign.flight_days, endpoint=True))
            level = rng.uniform(0.3, 2.2)
            noise = rng.lognormal(0.0, 0.2, length)
            stop = min(position + length, len(days))
            spend[position:stop, c] = campaign.weight * level * noise[: stop - position]
            position += length + int(rng.integers(*campaign.pause_days, endpoint=True))
        if campaign.touchpoint == REP:
            spend[weekend, c] *= 0.3
    return spend


def response(relative: np.ndarray, window: slice) -> np.ndarray:
    """[day, touchpoint] order multiplier from spend (1 where a touchpoint has no campaigns)."""
    result = np.ones((relative.shape[0], len(TOUCHPOINTS)))
    for tp, beta in RESPONSE_BETA.items():
        total = touchpoint_spend(relative, tp)
        k = total[window].mean()
        result[:, tp] = RESPONSE_ALPHA + beta * np.log1p(total / k)
    return result


def touchpoint_spend(relative: np.ndarray, tp: int) -> np.ndarray:
    columns = [c for c, campaign in enumerate(CAMPAIGNS) if campaign.touchpoint == tp]
    return relative[:, columns].sum(axis=1)


def spend_minor(relative: np.ndarray, window: slice, daily_orders: np.ndarray) -> np.ndarray:
    """[day, campaign] spend in each campaign's currency, minor units.

    ``daily_orders`` is the expected orders per day per touchpoint (mean over the window).
    """
    result = np.zeros(relative.shape, dtype=np.int64)
    for tp, ratio in SPEND_RATIO.items():
        budget_usd_minor = ratio * daily_orders[tp] * ROUGH_AOV_USD[tp] * 100
        scale = budget_usd_minor / touchpoint_spend(relative, tp)[window].mean()
        for c, campaign in enumerate(CAMPAIGNS):
            if campaign.touchpoint == tp:
                usd = relative[:, c] * scale
                result[:, c] = np.round(usd / FX_TO_USD[campaign.currency])
    return result
