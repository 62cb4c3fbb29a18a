"""The demand plan: expected orders per day and cell, spend, prices and conversion rates.

A cell is one place where orders are counted: an online touchpoint in a region,
a store, or an opportunity-based touchpoint in a region. Everything here is
computed once per run from the seed (never from the day's random draws), so it
is the same whatever the chunking.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from ingestion.demo import marketing
from ingestion.demo import pricing
from ingestion.demo import profiles
from ingestion.demo.reference import CATALOGUE_SEED
from ingestion.demo.reference import ONLINE
from ingestion.demo.reference import OPPORTUNITY_BASED
from ingestion.demo.reference import REGIONS
from ingestion.demo.reference import STORE
from ingestion.demo.reference import STORE_REGION
from ingestion.demo.reference import STORE_SIZE
from ingestion.demo.reference import STORES
from ingestion.demo.reference import TOUCHPOINTS
from ingestion.demo.reference import Catalogue
from ingestion.demo.reference import catalogue

ONLINE_REGION_WEIGHT = np.array([0.45, 0.12, 0.18, 0.15, 0.10])
ACCOUNT_REGION_WEIGHT = np.array([0.50, 0.10, 0.15, 0.15, 0.10])
STORE_CONVERSION = (0.20, 0.30)
WIN_RATE = 0.25
NO_STORE = -1


@dataclass(frozen=True)
class Cells:
    touchpoint: np.ndarray
    region: np.ndarray
    store: np.ndarray  # store index or NO_STORE
    weight: np.ndarray  # share of the touchpoint's orders

    @classmethod
    def build(cls) -> Cells:
        tp, region, store, weight = [], [], [], []
        for t in ONLINE:
            for r in range(len(REGIONS)):
                tp.append(t), region.append(r), store.append(NO_STORE)
                weight.append(ONLINE_REGION_WEIGHT[r])
        for s in range(len(STORES)):
            tp.append(STORE), region.append(STORE_REGION[s]), store.append(s)
            weight.append(STORE_SIZE[s] / STORE_SIZE.sum())
        for t in OPPORTUNITY_BASED:
            for r in range(len(REGIONS)):
                tp.append(t), region.append(r), store.append(NO_STORE)
                weight.append(ACCOUNT_REGION_WEIGHT[r])
        return cls(np.array(tp), np.array(region), np.array(store), np.array(weight))

    def __len__(self) -> int:
        return len(self.touchpoint)


@dataclass
class DemandPlan:
    start: dt.date
    end: dt.date
    days: list[dt.date]  # start .. horizon (horizon ≥ end, for targets)
    period_days: int  # days start .. end
    catalogue: Catalogue
    cells: Cells
    orders: np.ndarray  # [day, cell] expected orders
    visitors_orders: np.ndarray  # [day, cell] expected orders were conversion not broken
    conversion: np.ndarray  # [day, cell] sessions / footfall / opportunity conversion rate
    spend_minor: np.ndarray  # [day, campaign] in the campaign's currency
    list_usd: np.ndarray  # [day, product] USD cents
    discount: np.ndarray  # [day, touchpoint, category]
    choice: np.ndarray  # [day, touchpoint, product]

    def touchpoint_orders(self) -> np.ndarray:
        """[day, touchpoint] expected orders."""
        result = np.zeros((len(self.days), len(TOUCHPOINTS)))
        for tp in range(len(TOUCHPOINTS)):
            result[:, tp] = self.orders[:, self.cells.touchpoint == tp].sum(axis=1)
        return result


def period_start(end: dt.date, years: int) -> dt.date:
    """First day of the `years` years ending on `end` (inclusive)."""
    try:
        back = end.replace(year=end.year - years)
    except ValueError:  # 29 February
        back = end.replace(year=end.year - years, day=28)
    return back + dt.timedelta(days=1)


def anomaly_factors(days: list[dt.date], end: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """[day, touchpoint] multipliers for orders and for traffic."""
    index = {d: i for i, d in enumerate(days)}
    orders = np.ones((len(days), len(TOUCHPOINTS)))
    traffic = np.ones_like(orders)
    for anomaly in profiles.injected_anomalies(end):
        i = index.get(anomaly["day"])
        if i is None:
            continue
        tp = TOUCHPOINTS.index(anomaly["touchpoint_code"])
        orders[i, tp] *= anomaly["factor"]
        if anomaly["affects"] == "orders_and_traffic":
            traffic[i, tp] *= anomaly["factor"]
    return orders, traffic


def build_plan(
    n_orders: int, seed: int, start: dt.date, end: dt.date, horizon: dt.date | None = None
) -> DemandPlan:
    horizon = max(horizon or end, end)
    days = [start + dt.timedelta(days=k) for k in range((horizon - start).days + 1)]
    period = slice(0, (end - start).days + 1)
    cat = catalogue()
    cells = Cells.build()

    promos = pricing.promotions(days, cat, seed)
    relative_spend = marketing.relative_spend(days, seed)
    shape = (
        profiles.trend(days, start)
        * profiles.weekly(days)
        * profiles.seasonal(days)
        * promos.uplift
        * marketing.response(relative_spend, period)
    )
    anomaly_orders, anomaly_traffic = anomaly_factors(days, end)
    holiday = profiles.holiday_factors(days)
    cell_shape = (
        shape[:, cells.touchpoint]
        * holiday[:, cells.touchpoint, cells.region]
        * cells.weight[None, :]
    )
    raw_orders = cell_shape * anomaly_orders[:, cells.touchpoint]
    scale = np.zeros(len(cells))
    for tp in range(len(TOUCHPOINTS)):
        mine = cells.touchpoint == tp
        scale[mine] = n_orders * profiles.CHANNEL_SHARE[tp] / raw_orders[period, mine].sum()
    orders = raw_orders * scale
    visitors_orders = cell_shape * anomaly_traffic[:, cells.touchpoint] * scale

    conversion = np.full((len(days), len(cells)), WIN_RATE)
    online_rates = profiles.online_conversion(days, start, end)
    for k, tp in enumerate(ONLINE):
        conversion[:, cells.touchpoint == tp] = online_rates[:, [k]]
    store_rates = np.random.default_rng(CATALOGUE_SEED + 1).uniform(*STORE_CONVERSION, len(STORES))
    store_cells = cells.store != NO_STORE
    conversion[:, store_cells] = store_rates[cells.store[store_cells]]

    daily = np.zeros(len(TOUCHPOINTS))
    for tp in range(len(TOUCHPOINTS)):
        daily[tp] = orders[period, cells.touchpoint == tp].sum() / (period.stop - period.start)
    list_usd = pricing.list_prices(cat, days, start, end, seed)
    return DemandPlan(
        start=start,
        end=end,
        days=days,
        period_days=period.stop,
        catalogue=cat,
        cells=cells,
        orders=orders,
        visitors_orders=visitors_orders,
        conversion=conversion,
        spend_minor=marketing.spend_minor(relative_spend, period, daily),
        list_usd=list_usd,
        discount=promos.discount,
        choice=pricing.choice_probabilities(cat, list_usd, promos.discount),
    )
