"""A daily rollup written straight into the database: the demo generator's demand shapes
(weekly pattern, growth) at a volume where single-day anomalies stand out of Poisson noise,
with the demo's injected anomalies optionally applied."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import insert

from analytics.cache import invalidate_days
from db.engine import get_engine
from db.rollup_tables import DailyRollup
from db.rollups import refresh_channel_rollups
from ingestion.demo import INJECTED_ANOMALIES
from ingestion.demo import TRENDS
from ingestion.demo.profiles import WEEKLY

END = dt.date(2026, 6, 30)
# touchpoint code -> (id from migration 0002, orders per day, row of WEEKLY, conversion, AOV)
CHANNELS = {
    "web": (1, 400, 0, 0.025, 80.0),
    "mobile_app": (2, 250, 1, 0.02, 70.0),
    "marketplace": (3, 120, 2, 0.028, 60.0),
    "physical_store": (4, 300, 3, 0.2, 90.0),
}
# A threshold rule on one touchpoint: web revenue below 1000 a day.
WEB_REVENUE_FLOOR = {
    "name": "web revenue floor",
    "metric": "revenue",
    "kind": "threshold",
    "scope_type": "touchpoint",
    "scope_code": "web",
    "direction": "below",
    "threshold": 1000,
}


def daily_frame(
    days: int = 540, seed: int = 5, inject: bool = True, end: dt.date = END
) -> pd.DataFrame:
    """day, touchpoint, touchpoint_id, orders, visits, gross_revenue, cost per day × channel."""
    rng = np.random.default_rng(seed)
    dates = [end - dt.timedelta(days=days - 1 - i) for i in range(days)]
    years = np.arange(days) / 365.25
    yearly = 1 + 0.15 * np.sin(2 * np.pi * np.array([d.timetuple().tm_yday for d in dates]) / 365)
    rows = []
    for code, (tp_id, level, weekly_row, conversion, aov) in CHANNELS.items():
        growth = (1 + TRENDS[code]["orders_growth_per_year"]) ** years
        weekly = WEEKLY[weekly_row, [d.weekday() for d in dates]]
        mean = level * growth * weekly * yearly
        factor = np.ones(days)
        traffic_factor = np.ones(days)
        if inject:
            for anomaly in INJECTED_ANOMALIES:
                if anomaly["touchpoint_code"] == code and -days < anomaly["day"] <= 0:
                    position = days - 1 + anomaly["day"]
                    factor[position] = anomaly["factor"]
                    if anomaly["affects"] == "orders_and_traffic":
                        traffic_factor[position] = anomaly["factor"]
        orders = rng.poisson(mean * factor)
        visits = rng.poisson(mean * traffic_factor / conversion)
        revenue = np.round(orders * aov * rng.normal(1, 0.02, days), 2)
        for i, day in enumerate(dates):
            rows.append(
                {
                    "day": day,
                    "touchpoint": code,
                    "touchpoint_id": tp_id,
                    "orders": int(orders[i]),
                    "visits": int(visits[i]),
                    "gross_revenue": float(revenue[i]),
                    "cost": float(round(revenue[i] * 0.6, 2)),
                }
            )
    return pd.DataFrame(rows)


def write_rollup(url: str, frame: pd.DataFrame) -> None:
    """Insert the frame as daily_rollup rows (no region, no store; conversions = orders), sum
    them into the channel rollup and invalidate the analytics cache for their days, as an
    ingest batch does."""
    rows = [
        {
            "day": r["day"],
            "touchpoint_id": int(r["touchpoint_id"]),
            "region_id": int(r.get("region_id", 0) or 0),
            "location_id": int(r.get("location_id", 0) or 0),
            "gross_revenue": r["gross_revenue"],
            "refunds": r.get("refunds", 0.0) or 0.0,
            "cost": r["cost"],
            "orders": int(r["orders"]),
            "cancelled_orders": 0,
            "units": int(r["orders"]),
            "new_customers": 0,
            "visits": int(r["visits"]),
            "conversions": int(r["orders"]),
            "spend": 0,
        }
        for r in frame.to_dict("records")
    ]
    with get_engine(url).begin() as conn:
        conn.execute(insert(DailyRollup.__table__), rows)
        refresh_channel_rollups(conn, {r["day"] for r in rows})
    invalidate_days({r["day"] for r in rows}, url)
