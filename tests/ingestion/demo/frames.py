"""The demo generator's output as frames, and what the tests know of it independently: the
settings they generate with, each region's time zone and each touchpoint's expected share."""

from __future__ import annotations

import datetime as dt

import pandas as pd

N_ORDERS = 30_000
BUSY_ORDERS = 150_000
SEED = 11
END = dt.date(2025, 6, 30)
START = dt.date(2022, 7, 1)
TIMEZONES = {
    "us": "America/New_York",
    "ca": "America/Toronto",
    "uk": "Europe/London",
    "de": "Europe/Berlin",
    "fr": "Europe/Paris",
}
EXPECTED_SHARE = {
    "web": 0.35,
    "mobile_app": 0.20,
    "marketplace": 0.08,
    "physical_store": 0.25,
    "b2b_portal": 0.07,
    "sales_rep": 0.03,
    "call_center": 0.02,
}


def collect(chunks) -> dict[str, pd.DataFrame]:
    chunks = list(chunks)
    tables = {
        "orders": [c.orders.orders for c in chunks],
        "lines": [c.orders.lines for c in chunks],
        "refunds": [c.orders.refunds for c in chunks],
        "traffic": [c.traffic for c in chunks],
        "spend": [c.spend for c in chunks],
        "inventory": [c.inventory for c in chunks],
        "touches": [c.touches for c in chunks],
    }
    result = {name: pd.concat(frames, ignore_index=True) for name, frames in tables.items()}
    result["chunks"] = chunks
    return result


def add_local_day(orders: pd.DataFrame) -> None:
    """The order's calendar day in its region, and its revenue (total less tax) in USD."""
    local_day = pd.Series(index=orders.index, dtype=object)
    for region, tz in TIMEZONES.items():
        mine = orders["region_code"] == region
        local_day[mine] = orders.loc[mine, "ordered_at"].dt.tz_convert(tz).dt.date
    orders["local_day"] = local_day
    orders["revenue_usd"] = (orders["total_minor"] - orders["tax_minor"]) * orders["fx_rate"] / 100
