"""An independent pandas computation of the metrics from the demo generator's frames.

Written from the metric definitions, not from the code under test: revenue is
Σ round((total − tax) × fx) cents of non-cancelled orders on the order's day in
the reporting time zone, less Σ round(refund × fx) of non-cancelled orders on
the refund's day; conversions are orders, or won opportunities for deal
touchpoints. Buckets, fiscal quarters and last-year dates are computed here
with pandas' own calendar machinery.
"""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np
import pandas as pd

from ingestion.batch import ORDER_KEY

CATEGORY = {
    "web": "ecommerce",
    "mobile_app": "ecommerce",
    "marketplace": "ecommerce",
    "physical_store": "physical_retail",
    "b2b_portal": "wholesale",
    "sales_rep": "direct_sales",
    "call_center": "direct_sales",
    "unassigned": "unassigned",
}
DEALS = {"b2b_portal", "sales_rep", "call_center"}
MEASURES = ["gross", "refunds", "cost", "orders", "units", "visits", "conversions", "spend"]


def facts(demo, tz: str = "UTC") -> pd.DataFrame:
    """One row per fact (order, refund, traffic, spend) with its day, places and measures."""
    orders = demo.orders[demo.orders["status"] != "cancelled"].copy()
    lines = demo.lines.assign(cost=demo.lines["qty"] * demo.lines["unit_cost_minor"])
    per_order = lines.groupby(ORDER_KEY)[["cost", "qty"]].sum()
    orders = orders.join(per_order, on=ORDER_KEY)
    fx = orders["fx_rate"]
    order_rows = pd.DataFrame(
        {
            "day": orders["ordered_at"].dt.tz_convert(tz).dt.date,
            "touchpoint": orders["touchpoint_code"],
            "region": orders["region_code"].fillna("none"),
            "location": orders["location_code"].fillna("none"),
            "gross": np.round((orders["total_minor"] - orders["tax_minor"]) * fx),
            "cost": np.round(orders["cost"].fillna(0) * fx),
            "orders": 1,
            "units": orders["qty"].fillna(0),
        }
    )
    refunds = demo.refunds.merge(orders, on=ORDER_KEY, how="inner")
    refund_rows = pd.DataFrame(
        {
            "day": refunds["refunded_at"].dt.tz_convert(tz).dt.date,
            "touchpoint": refunds["touchpoint_code"],
            "region": refunds["region_code"].fillna("none"),
            "location": refunds["location_code"].fillna("none"),
            "refunds": np.round(refunds["amount_minor"] * refunds["fx_rate"]),
        }
    )
    traffic = demo.traffic
    traffic_rows = pd.DataFrame(
        {
            "day": traffic["day"],
            "touchpoint": traffic["touchpoint_code"],
            "region": traffic["region_code"].fillna("none"),
            "location": traffic["location_code"].fillna("none"),
            "visits": traffic["sessions"] + traffic["footfall"] + traffic["opportunities"],
            "won": traffic["opportunities_won"],
        }
    )
    spend = demo.spend
    spend_rows = pd.DataFrame(
        {
            "day": spend["day"],
            "touchpoint": spend["touchpoint_code"],
            "region": "none",
            "location": "none",
            "spend": np.round(spend["spend_minor"] * spend["fx_rate"]),
        }
    )
    out = pd.concat([order_rows, refund_rows, traffic_rows, spend_rows], ignore_index=True)
    out = out.fillna({m: 0 for m in [*MEASURES, "won"] if m != "conversions"})
    deal = out["touchpoint"].isin(DEALS)
    out["conversions"] = np.where(deal, out["won"], out["orders"])
    out["channel"] = out["touchpoint"].map(CATEGORY)
    out["day"] = pd.to_datetime(out["day"]).dt.date
    return out


def metric_value(sums: pd.Series, metric: str) -> float | None:
    """The metric from summed cents and counts (money in base currency units)."""
    revenue = (sums["gross"] - sums["refunds"]) / 100

    def ratio(numerator: float, denominator: float) -> float | None:
        return None if denominator == 0 else numerator / denominator

    return {
        "revenue": lambda: revenue,
        "orders": lambda: float(sums["orders"]),
        "units": lambda: float(sums["units"]),
        "refunds": lambda: sums["refunds"] / 100,
        "spend": lambda: sums["spend"] / 100,
        "aov": lambda: ratio(revenue, sums["orders"]),
        "conversion_rate": lambda: ratio(sums["conversions"], sums["visits"]),
        "margin_pct": lambda: ratio(revenue - sums["cost"] / 100, revenue),
        "roas": lambda: ratio(revenue, sums["spend"] / 100),
    }[metric]()


def minus_year(day: dt.date) -> dt.date:
    if day.month == 2 and day.day == 29:
        return dt.date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def bucket_of(day: dt.date, grain: str, fiscal_start_month: int = 1) -> dt.date:
    stamp = pd.Timestamp(day)
    if grain == "day":
        return day
    if grain == "week":
        return pd.Period(stamp, freq="W-SUN").start_time.date()
    if grain == "month":
        return pd.Period(stamp, freq="M").start_time.date()
    year_end = calendar.month_abbr[(fiscal_start_month - 2) % 12 + 1].upper()
    return pd.Period(stamp, freq=f"Q-{year_end}").start_time.date()


def clipped_buckets(start: dt.date, end: dt.date, grain: str, fsm: int = 1):
    """[(first, last)] of the buckets covering start..end, clipped to it."""
    days = pd.date_range(start, end, freq="D").date
    groups: dict[dt.date, list[dt.date]] = {}
    for day in days:
        groups.setdefault(bucket_of(day, grain, fsm), []).append(day)
    return [(members[0], members[-1]) for members in groups.values()]


def sums_between(frame: pd.DataFrame, first: dt.date, last: dt.date) -> pd.Series:
    inside = frame[(frame["day"] >= first) & (frame["day"] <= last)]
    return inside[MEASURES].sum()


def filtered(frame: pd.DataFrame, filters: dict[str, list[str]]) -> pd.DataFrame:
    for column, values in filters.items():
        frame = frame[frame[column].isin(values)]
    return frame


def prior_of(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """Whole calendar months: as many months before; else as many days before."""
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    if first.is_month_start and last.is_month_end:
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        return (first - pd.DateOffset(months=months)).date(), start - dt.timedelta(days=1)
    days = (end - start).days + 1
    return start - dt.timedelta(days=days), start - dt.timedelta(days=1)


def expected_rows(
    frame: pd.DataFrame,
    metric: str,
    by: str,
    start: dt.date,
    end: dt.date,
    compare: list[str],
    filters: dict[str, list[str]] | None = None,
    grain: str | None = None,
    fsm: int = 1,
) -> dict[tuple[str, str], dict[str, float | None]]:
    """{(key, bucket start ISO or ""): {"value": …, "prior": …, "yoy": …}}."""
    frame = filtered(frame, filters or {})
    grains = ("day", "week", "month", "quarter")
    time_grain = by if by in grains else grain
    dimension = None if by in grains else by
    periods = {"value": (start, end), "prior": prior_of(start, end)}
    periods["yoy"] = (minus_year(start), minus_year(end))
    wanted = ["value", *compare]
    keys = sorted(frame[dimension].unique()) if dimension else [None]
    out = {}
    for key in keys:
        mine = frame if key is None else frame[frame[dimension] == key]
        if time_grain is None:
            row = {n: metric_value(sums_between(mine, *periods[n]), metric) for n in wanted}
            out[(key, "")] = row
            continue
        current = clipped_buckets(start, end, time_grain, fsm)
        prior = clipped_buckets(*periods["prior"], time_grain, fsm)
        for i, (first, last) in enumerate(current):
            row = {"value": metric_value(sums_between(mine, first, last), metric)}
            if "prior" in compare:
                row["prior"] = (
                    metric_value(sums_between(mine, *prior[i]), metric) if i < len(prior) else None
                )
            if "yoy" in compare:
                yoy = sums_between(mine, minus_year(first), minus_year(last))
                row["yoy"] = metric_value(yoy, metric)
            out[(key if key is not None else first.isoformat(), first.isoformat())] = row
    return out
