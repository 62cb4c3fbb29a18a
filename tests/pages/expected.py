"""Independent pandas computations on the demo generator's frames (what the pages must show)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ingestion.demo.reference import reference_data
from tests.reference import category_of

KEY = ["source_system", "source_instance", "source_order_id"]


def orders(demo) -> pd.DataFrame:
    """Newest version of each order with its UTC day, channel and base-currency cents."""
    frame = demo.orders.sort_values("source_version").drop_duplicates(KEY, keep="last").copy()
    frame["day"] = frame["ordered_at"].dt.tz_convert("UTC").dt.date
    frame["category"] = category_of(frame["touchpoint_code"])
    frame["region"] = frame["region_code"].fillna("none")
    frame["cents"] = np.rint(
        (frame["total_minor"].astype("int64") - frame["tax_minor"].astype("int64")).astype(float)
        * frame["fx_rate"].astype(float)
    ).astype("int64")
    return frame


def sales(demo, start: dt.date, end: dt.date, by: str) -> pd.Series:
    """Gross sales (before refunds) in dollars per ``by`` for a date range."""
    live = orders(demo)
    live = live[(live["status"] != "cancelled") & (live["day"] >= start) & (live["day"] <= end)]
    return live.groupby(by)["cents"].sum() / 100


def revenue(demo, start: dt.date, end: dt.date, by: str) -> pd.Series:
    """Net revenue in dollars per ``by`` (touchpoint_code or category) for a date range."""
    live = orders(demo)
    live = live[live["status"] != "cancelled"]
    sold = live[(live["day"] >= start) & (live["day"] <= end)].groupby(by)["cents"].sum()
    refunds = demo.refunds.merge(live[KEY + ["fx_rate", "touchpoint_code", "category"]], on=KEY)
    refunds["day"] = refunds["refunded_at"].dt.tz_convert("UTC").dt.date
    refunds = refunds[(refunds["day"] >= start) & (refunds["day"] <= end)]
    refunded = (
        np.rint(refunds["amount_minor"].astype(float) * refunds["fx_rate"].astype(float))
        .astype("int64")
        .groupby(refunds[by])
        .sum()
    )
    return sold.sub(refunded, fill_value=0) / 100


def order_counts(demo, start: dt.date, end: dt.date, by: str) -> pd.Series:
    live = orders(demo)
    live = live[(live["status"] != "cancelled") & (live["day"] >= start) & (live["day"] <= end)]
    return live.groupby(by).size()


def visits(demo, start: dt.date, end: dt.date, by: str) -> pd.Series:
    traffic = demo.traffic.copy()
    traffic = traffic[(traffic["day"] >= start) & (traffic["day"] <= end)]
    traffic["category"] = category_of(traffic["touchpoint_code"])
    total = traffic["sessions"] + traffic["footfall"] + traffic["opportunities"]
    return total.groupby(traffic[by]).sum()


def units_by_product_category(demo, start: dt.date, end: dt.date, by: str) -> pd.Series:
    live = orders(demo)
    live = live[(live["status"] != "cancelled") & (live["day"] >= start) & (live["day"] <= end)]
    lines = demo.lines.merge(live[KEY + [by]], on=KEY)
    lines = lines.drop_duplicates(KEY + ["line_no"], keep="last")
    category = reference_data().products.set_index("sku")["category"]
    lines["product_category"] = lines["sku"].map(category)
    return lines.groupby([by, "product_category"])["qty"].sum()
