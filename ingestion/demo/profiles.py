"""The shape of demand: channel mix, trends, weekly and yearly patterns, holidays, anomalies.

Each function returns multiplicative factors per day (and touchpoint, and
region where it differs); the plan multiplies them and scales the result to
the requested number of orders.
"""

from __future__ import annotations

import datetime as dt

import holidays
import numpy as np

from ingestion.demo.reference import B2B
from ingestion.demo.reference import MARKETPLACE
from ingestion.demo.reference import ONLINE
from ingestion.demo.reference import OPPORTUNITY_BASED
from ingestion.demo.reference import REGION_CODES
from ingestion.demo.reference import REGIONS
from ingestion.demo.reference import REP
from ingestion.demo.reference import STORE
from ingestion.demo.reference import TOUCHPOINTS

# Average share of orders over the whole period, per touchpoint (TOUCHPOINTS order).
CHANNEL_SHARE = np.array([0.35, 0.20, 0.08, 0.25, 0.07, 0.03, 0.02])

# Trends built into the data: compound growth of orders per year, and conversion drift.
TRENDS = {
    "web": {
        "orders_growth_per_year": 0.04,
        "conversion_rate_from": 0.024,
        "conversion_rate_to": 0.026,
    },
    "mobile_app": {
        "orders_growth_per_year": 0.35,
        "conversion_rate_from": 0.015,
        "conversion_rate_to": 0.022,
    },
    "marketplace": {
        "orders_growth_per_year": 0.10,
        "conversion_rate_from": 0.029,
        "conversion_rate_to": 0.028,
    },
    "physical_store": {"orders_growth_per_year": -0.03},
    "b2b_portal": {"orders_growth_per_year": 0.06},
    "sales_rep": {"orders_growth_per_year": 0.0},
    "call_center": {"orders_growth_per_year": -0.25},
}

# Orders by weekday (Monday first) per touchpoint.
WEEKLY = np.array(
    [
        [1.05, 1.00, 1.00, 1.00, 0.95, 0.90, 1.10],  # web
        [0.95, 0.95, 0.95, 1.00, 1.00, 1.10, 1.20],  # mobile_app
        [1.00, 1.00, 1.00, 1.00, 1.00, 1.05, 1.10],  # marketplace
        [0.70, 0.75, 0.80, 0.90, 1.10, 1.60, 1.00],  # physical_store
        [1.10, 1.05, 1.05, 1.00, 0.90, 0.01, 0.00],  # b2b_portal
        [1.00, 1.10, 1.10, 1.05, 0.80, 0.00, 0.00],  # sales_rep
        [1.10, 1.05, 1.00, 1.00, 0.95, 0.04, 0.00],  # call_center
    ]
)
# Orders by month (middle of the month; interpolated between), and how strongly each
# touchpoint follows that retail seasonality.
MONTHLY = np.array([0.85, 0.85, 0.95, 0.97, 0.97, 0.86, 0.82, 0.90, 0.96, 1.00, 1.25, 1.45])
SEASONAL_STRENGTH = np.array([1.0, 1.0, 1.0, 1.1, 0.4, 0.5, 0.8])

# Anomalies injected on purpose, so alerts and root-cause analysis have something to find.
# `day` is the offset from the last day of the data (0 = `end`, -1 = the day before).
# `affects`: "orders" (conversion breaks, traffic unchanged) or "orders_and_traffic".
INJECTED_ANOMALIES = [
    {
        "day": -300,
        "touchpoint_code": "physical_store",
        "kind": "drop",
        "factor": 0.5,
        "affects": "orders_and_traffic",
        "note": "winter storm closes stores early",
    },
    {
        "day": -75,
        "touchpoint_code": "web",
        "kind": "drop",
        "factor": 0.2,
        "affects": "orders_and_traffic",
        "note": "web site outage",
    },
    {
        "day": -40,
        "touchpoint_code": "marketplace",
        "kind": "spike",
        "factor": 3.0,
        "affects": "orders_and_traffic",
        "note": "marketplace featured deal",
    },
    {
        "day": -12,
        "touchpoint_code": "mobile_app",
        "kind": "drop",
        "factor": 0.35,
        "affects": "orders",
        "note": "app release breaks checkout",
    },
    {
        "day": -11,
        "touchpoint_code": "mobile_app",
        "kind": "drop",
        "factor": 0.35,
        "affects": "orders",
        "note": "app release breaks checkout",
    },
]


def injected_anomalies(end: dt.date) -> list[dict]:
    """INJECTED_ANOMALIES with `day` as the calendar date for data ending on `end`."""
    return [{**a, "day": end + dt.timedelta(days=a["day"])} for a in INJECTED_ANOMALIES]


def years_since(days: list[dt.date], origin: dt.date) -> np.ndarray:
    return np.array([(d - origin).days for d in days]) / 365.25


def trend(days: list[dt.date], start: dt.date) -> np.ndarray:
    """[day, touchpoint] compound growth since `start`."""
    growth = np.array([TRENDS[tp]["orders_growth_per_year"] for tp in TOUCHPOINTS])
    return (1 + growth)[None, :] ** years_since(days, start)[:, None]


def online_conversion(days: list[dt.date], start: dt.date, end: dt.date) -> np.ndarray:
    """[day, online touchpoint] expected conversion rate, drifting linearly over the period."""
    position = np.clip(years_since(days, start) / max(years_since([end], start)[0], 1e-9), 0, None)
    rates = []
    for tp in ONLINE:
        spec = TRENDS[TOUCHPOINTS[tp]]
        rates.append(
            spec["conversion_rate_from"]
            + (spec["conversion_rate_to"] - spec["conversion_rate_from"]) * position
        )
    return np.stack(rates, axis=1)


def weekly(days: list[dt.date]) -> np.ndarray:
    return WEEKLY[:, [d.weekday() for d in days]].T


def seasonal(days: list[dt.date]) -> np.ndarray:
    """[day, touchpoint] smooth yearly pattern: Nov–Dec peak, summer dip."""
    doy = np.array([d.timetuple().tm_yday for d in days], dtype=float)
    anchors = (np.arange(12) + 0.5) * 365.25 / 12
    base = np.interp(doy, anchors, MONTHLY, period=365.25)
    factor = 1 + SEASONAL_STRENGTH[None, :] * (base[:, None] - 1)
    late_december = np.array([d.month == 12 and d.day >= 24 for d in days])
    factor[late_december, B2B] *= 0.3
    factor[late_december, REP] *= 0.3
    return factor


def thanksgiving(year: int) -> dt.date:
    first = dt.date(year, 11, 1)
    first_thursday = first + dt.timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + dt.timedelta(weeks=3)


def prime_day(year: int) -> dt.date:
    first = dt.date(year, 7, 1)
    return first + dt.timedelta(days=(1 - first.weekday()) % 7 + 7)


def holiday_factors(days: list[dt.date]) -> np.ndarray:
    """[day, touchpoint, region] effect of public holidays and retail events."""
    years = sorted({d.year for d in days})
    index = {d: i for i, d in enumerate(days)}
    f = np.ones((len(days), len(TOUCHPOINTS), len(REGIONS)))

    def on(day: dt.date, tps, factor: float, regions=None) -> None:
        if day in index:
            region_idx = (
                slice(None) if regions is None else [REGION_CODES.index(r) for r in regions]
            )
            for tp in tps:
                f[index[day], tp, region_idx] *= factor

    for r, region in enumerate(REGIONS):
        public = holidays.country_holidays(region.holiday_country, years=years)
        for day in public:
            if day in index:
                i = index[day]
                f[i, list(OPPORTUNITY_BASED), r] *= 0.1
                f[i, STORE, r] *= 0.0 if region.code == "de" else 0.8
                f[i, list(ONLINE), r] *= 1.05
    weekday_idx = np.array([d.weekday() for d in days])
    f[weekday_idx == 6, STORE, REGION_CODES.index("de")] = 0.0  # German shops close on Sundays
    f[weekday_idx == 6, STORE, REGION_CODES.index("fr")] *= 0.4

    online, retail = list(ONLINE), [*ONLINE, STORE]
    for year in years:
        tg = thanksgiving(year)
        black_friday = tg + dt.timedelta(days=1)
        on(tg, [STORE], 0.25, ["us"])
        on(black_friday, online, 2.4)
        on(black_friday, [STORE], 2.0)
        for later in (2, 3):
            on(tg + dt.timedelta(days=later), retail, 1.4)
        on(tg + dt.timedelta(days=4), online, 3.0)  # Cyber Monday
        on(dt.date(year, 12, 24), [STORE], 1.2)
        on(dt.date(year, 12, 24), online, 0.8)
        on(dt.date(year, 12, 25), [STORE], 0.0)  # stores closed on Christmas Day
        on(dt.date(year, 12, 25), online, 0.6)
        on(dt.date(year, 12, 26), [STORE], 1.6, ["uk", "ca"])  # Boxing Day
        on(dt.date(year, 1, 1), [STORE], 0.3)
        for offset in (0, 1):
            on(prime_day(year) + dt.timedelta(days=offset), [MARKETPLACE], 2.0)
    return f
