"""An independent pandas computation of the daily facts, straight from the generator's frames.

Written separately from the loader and rollup SQL on purpose: tests compare the
two. Amounts are in base-currency cents, rounded per order (per refund, per
spend row) as the canonical model defines them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

OPPORTUNITY_TOUCHPOINTS = {"b2b_portal", "sales_rep", "call_center"}
KEY = ["day", "touchpoint", "region", "location"]


def _cents(minor: pd.Series, fx: pd.Series) -> pd.Series:
    return pd.Series(
        np.rint(minor.to_numpy(dtype=float) * fx.to_numpy(dtype=float)), index=minor.index
    )


def _places(frame: pd.DataFrame, location_region: dict[str, str]) -> pd.DataFrame:
    region = frame["location_code"].map(location_region)
    region = region.where(region.notna(), frame["region_code"])
    return frame.assign(
        region=region.fillna("none"), location=frame["location_code"].fillna("none")
    )


def daily_facts(demo, tz: str = "UTC") -> pd.DataFrame:
    """Facts per local day × touchpoint × region × store code, like the daily rollup."""
    from ingestion.demo import reference_data

    reference = reference_data()
    location_region = dict(
        zip(reference.locations["code"], reference.locations["region_code"], strict=True)
    )
    orders = _places(demo.orders.copy(), location_region)
    orders["touchpoint"] = orders["touchpoint_code"]
    orders["day"] = orders["ordered_at"].dt.tz_convert(tz).dt.date
    live = orders[orders["status"] != "cancelled"].copy()
    key = ["source_system", "source_instance", "source_order_id"]

    lines = demo.lines.assign(cost=demo.lines["qty"] * demo.lines["unit_cost_minor"])
    per_order = (
        lines.groupby(key).agg(units=("qty", "sum"), cost_minor=("cost", "sum")).reset_index()
    )
    live = live.merge(per_order, on=key, how="left").fillna({"units": 0, "cost_minor": 0})
    live["gross_revenue"] = _cents(live["total_minor"] - live["tax_minor"], live["fx_rate"])
    live["cost"] = _cents(live["cost_minor"], live["fx_rate"])
    first = live.sort_values("ordered_at").drop_duplicates("customer_key")
    live["new_customers"] = live.index.isin(first.index).astype(int) * live["customer_key"].notna()
    live["orders"] = 1

    refunds = demo.refunds.merge(
        live[key + ["fx_rate", "touchpoint", "region", "location"]], on=key, how="inner"
    )
    refunds["day"] = refunds["refunded_at"].dt.tz_convert(tz).dt.date
    refunds["refunds"] = _cents(refunds["amount_minor"], refunds["fx_rate"])

    traffic = _places(demo.traffic.copy(), location_region)
    traffic["touchpoint"] = traffic["touchpoint_code"]
    traffic["visits"] = traffic["sessions"] + traffic["footfall"] + traffic["opportunities"]
    traffic["won"] = traffic["opportunities_won"]

    spend = demo.spend.assign(
        touchpoint=demo.spend["touchpoint_code"], region="none", location="none"
    )
    spend["spend"] = _cents(spend["spend_minor"], spend["fx_rate"])

    parts = [
        live[KEY + ["gross_revenue", "cost", "orders", "units", "new_customers"]],
        refunds[KEY + ["refunds"]],
        traffic[KEY + ["visits", "won"]],
        spend[KEY + ["spend"]],
    ]
    facts = pd.concat(parts, ignore_index=True).fillna(0).groupby(KEY, as_index=False).sum()
    opportunity = facts["touchpoint"].isin(OPPORTUNITY_TOUCHPOINTS)
    facts["conversions"] = np.where(opportunity, facts["won"], facts["orders"])
    for money in ("gross_revenue", "cost", "refunds", "spend"):
        facts[money] = facts[money] / 100
    facts["revenue"] = facts["gross_revenue"] - facts["refunds"]
    facts["gross_profit"] = facts["revenue"] - facts["cost"]
    return facts


CATEGORY_OF = {
    "web": "ecommerce",
    "mobile_app": "ecommerce",
    "marketplace": "ecommerce",
    "physical_store": "physical_retail",
    "b2b_portal": "wholesale",
    "sales_rep": "direct_sales",
    "call_center": "direct_sales",
    "unassigned": "unassigned",
}
