"""Prices and promotions: list-price changes, channel price levels, promo windows, product choice.

Product choice responds to the effective price with a channel-specific
elasticity, so a log-log regression of units on price recovers a negative slope.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ingestion.demo.profiles import prime_day
from ingestion.demo.profiles import thanksgiving
from ingestion.demo.reference import CATEGORY_CODES
from ingestion.demo.reference import MARKETPLACE
from ingestion.demo.reference import ONLINE
from ingestion.demo.reference import REGION_FX
from ingestion.demo.reference import REGION_PRICE_FACTOR
from ingestion.demo.reference import STORE
from ingestion.demo.reference import TOUCHPOINTS
from ingestion.demo.reference import Catalogue

# Unit price relative to list price, per touchpoint: marketplace dearer, B2B cheaper per unit.
PRICE_LEVEL = np.array([0.98, 0.98, 1.08, 1.00, 0.75, 0.90, 1.00])
# Price elasticity of product choice per touchpoint.
ELASTICITY = np.array([-1.6, -1.4, -2.2, -0.9, -0.8, -0.7, -1.1])
# Category preference per touchpoint (columns in CATEGORY_CODES order).
CATEGORY_PREFERENCE = np.array(
    [
        [1.0, 1.0, 1.0, 1.0, 1.2, 1.0, 1.0, 0.6],
        [1.2, 1.0, 1.1, 0.8, 1.0, 1.2, 0.9, 0.6],
        [0.7, 0.8, 1.0, 1.0, 1.8, 1.0, 1.1, 1.2],
        [1.4, 1.3, 1.1, 1.0, 0.7, 1.0, 0.9, 0.8],
        [0.4, 0.3, 1.5, 1.2, 0.3, 2.5, 0.7, 4.0],
        [0.6, 0.6, 1.0, 1.5, 1.2, 1.0, 1.3, 1.0],
        [0.9, 0.9, 1.0, 1.2, 1.4, 1.0, 1.0, 0.8],
    ]
)
# Promotion windows per calendar year, their discount range, and the order uplift per
# unit of average discount.
PROMOS_PER_YEAR = [5, 5, 6, 4, 2, 1, 2]
PROMO_DISCOUNT = [
    (0.1, 0.3),
    (0.1, 0.3),
    (0.1, 0.25),
    (0.1, 0.3),
    (0.03, 0.08),
    (0.05, 0.1),
    (0.1, 0.2),
]
PROMO_UPLIFT_PER_DISCOUNT = 1.5
HOLIDAY_SALE_DISCOUNT = 0.25
PRIME_DAY_DISCOUNT = 0.2
RETAIL_TOUCHPOINTS = (*ONLINE, STORE)
CONSUMER_PRICED = (0, 1, 2, 3, 6)  # prices ending in .99


def list_prices(
    cat: Catalogue, days: list[dt.date], start: dt.date, end: dt.date, seed: int
) -> np.ndarray:
    """[day, product] USD list price in cents: 2–4 changes per product within [start, end]."""
    rng = np.random.default_rng([seed, 3])
    span = (end - start).days
    ordinals = np.array([d.toordinal() for d in days])
    prices = np.tile(cat.list_price_minor.astype(float), (len(days), 1))
    for p in range(len(cat.sku)):
        n_changes = rng.integers(2, 5)
        offsets = np.sort(rng.integers(min(30, span), max(span - 30, min(30, span) + 1), n_changes))
        factors = rng.uniform(0.88, 1.15, n_changes)
        for offset, factor in zip(offsets, factors, strict=True):
            prices[ordinals >= start.toordinal() + offset, p] *= factor
    return np.ceil(prices / 100) * 100 - 1


@dataclass
class Promotions:
    discount: np.ndarray  # [day, touchpoint, category] fraction off
    uplift: np.ndarray  # [day, touchpoint] order multiplier


def promotions(days: list[dt.date], cat: Catalogue, seed: int) -> Promotions:
    index = {d: i for i, d in enumerate(days)}
    n_cat = len(CATEGORY_CODES)
    discount = np.zeros((len(days), len(TOUCHPOINTS), n_cat))

    def window(first: dt.date, length: int, tp: int, cats, rate: float) -> None:
        for k in range(length):
            i = index.get(first + dt.timedelta(days=k))
            if i is not None:
                discount[i, tp, cats] = np.maximum(discount[i, tp, cats], rate)

    for year in sorted({d.year for d in days}):
        rng = np.random.default_rng([seed, 2, year])
        for tp in range(len(TOUCHPOINTS)):
            low, high = PROMO_DISCOUNT[tp]
            for _ in range(PROMOS_PER_YEAR[tp]):
                first = dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(0, 320)))
                cats = rng.choice(n_cat, size=int(rng.integers(2, 4)), replace=False)
                window(first, int(rng.integers(3, 11)), tp, cats, round(rng.uniform(low, high), 2))
        black_friday = thanksgiving(year) + dt.timedelta(days=1)
        for tp in RETAIL_TOUCHPOINTS:
            window(black_friday, 4, tp, slice(None), HOLIDAY_SALE_DISCOUNT)
        window(prime_day(year), 2, MARKETPLACE, slice(None), PRIME_DAY_DISCOUNT)
    share = category_share(cat)
    mean_discount = (discount * share[None, :, :]).sum(axis=2)
    return Promotions(discount=discount, uplift=1 + PROMO_UPLIFT_PER_DISCOUNT * mean_discount)


def category_share(cat: Catalogue) -> np.ndarray:
    """[touchpoint, category] share of units at reference prices."""
    weights = cat.popularity[None, :] * CATEGORY_PREFERENCE[:, cat.category]
    share = np.zeros((len(TOUCHPOINTS), len(CATEGORY_CODES)))
    for c in range(len(CATEGORY_CODES)):
        share[:, c] = weights[:, cat.category == c].sum(axis=1)
    return share / share.sum(axis=1, keepdims=True)


def choice_probabilities(cat: Catalogue, list_usd: np.ndarray, discount: np.ndarray) -> np.ndarray:
    """[day, touchpoint, product] probability that a line is that product."""
    effective = list_usd[:, None, :] * (1 - discount[:, :, cat.category])
    relative = effective / cat.list_price_minor[None, None, :]
    weights = (
        cat.popularity[None, None, :]
        * CATEGORY_PREFERENCE[None, :, cat.category]
        * relative ** ELASTICITY[None, :, None]
    )
    return weights / weights.sum(axis=2, keepdims=True)


def local_prices(list_usd_day: np.ndarray) -> np.ndarray:
    """[touchpoint, region, product] unit price in the region's currency, minor units."""
    raw = (
        list_usd_day[None, None, :]
        * PRICE_LEVEL[:, None, None]
        * (REGION_PRICE_FACTOR / REGION_FX)[None, :, None]
    )
    prices = np.round(raw)
    consumer = list(CONSUMER_PRICED)
    prices[consumer] = np.maximum(np.ceil(raw[consumer] / 100) * 100 - 1, 99)
    return prices.astype(np.int64)


def local_costs(cat: Catalogue) -> np.ndarray:
    """[region, product] unit cost in the region's currency, minor units."""
    return np.round(cat.unit_cost_minor[None, :] / REGION_FX[:, None]).astype(np.int64)
