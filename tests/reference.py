"""The pandas oracle: the daily facts and the metrics, straight from the generator's frames.

Written from the metric definitions, separately from the loader, the rollup SQL and the
analytics code on purpose: tests compare the two. Revenue is Σ round((total − tax) × fx)
cents of non-cancelled orders on the order's day in the reporting time zone, less
Σ round(refund × fx) of non-cancelled orders on the refund's day (each amount rounded to
base-currency cents per order, refund or spend row, as the canonical model defines them);
conversions are orders, or won opportunities for deal touchpoints. Buckets, fiscal quarters
and last-year dates are computed with pandas' own calendar machinery.
"""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np
import pandas as pd

from ingestion.demo.reference import CATEGORY_OF_TOUCHPOINT

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


def category_of(touchpoints: pd.Series) -> pd.Series:
    return touchpoints.map(CATEGORY_OF_TOUCHPOINT).fillna("unassigned")


def daily_facts(demo, tz: str = "UTC") -> pd.DataFrame:
    """Facts per local day × touchpoint × region × store code, like the daily rollup, with
    the touchpoint's channel category (``channel``); money in base-currency units."""
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
    # An order's units are its lines' quantities; an order loaded without lines carries its own.
    own_units = live.pop("units").to_numpy() if "units" in live else np.zeros(len(live))
    live = live.merge(per_order, on=key, how="left")  # keeps the orders' row order
    live["units"] = live["units"].fillna(pd.Series(own_units, index=live.index)).fillna(0)
    live["cost_minor"] = live["cost_minor"].fillna(0)
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
    facts["channel"] = category_of(facts["touchpoint"])
    return facts


MEASURES = ["gross_revenue", "refunds", "cost", "orders", "units", "visits", "conversions", "spend"]


def metric_value(sums: pd.Series, metric: str) -> float | None:
    """The metric from summed facts."""
    revenue = sums["gross_revenue"] - sums["refunds"]

    def ratio(numerator: float, denominator: float) -> float | None:
        return None if denominator == 0 else numerator / denominator

    return {
        "revenue": lambda: revenue,
        "orders": lambda: float(sums["orders"]),
        "units": lambda: float(sums["units"]),
        "refunds": lambda: float(sums["refunds"]),
        "spend": lambda: float(sums["spend"]),
        "aov": lambda: ratio(revenue, sums["orders"]),
        "conversion_rate": lambda: ratio(sums["conversions"], sums["visits"]),
        "margin_pct": lambda: ratio(revenue - sums["cost"], revenue),
        "roas": lambda: ratio(revenue, sums["spend"]),
    }[metric]()


def minus_year(day: dt.date) -> dt.date:
    if day.month == 2 and day.day == 29:
        return dt.date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def _whole_months(start: dt.date, end: dt.date) -> int:
    first, last = pd.Timestamp(start), pd.Timestamp(end)
    if not (first.is_month_start and last.is_month_end):
        return 0
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _months_back(start: dt.date, end: dt.date, months: int) -> tuple[dt.date, dt.date]:
    offset = pd.DateOffset(months=months)
    first = (pd.Timestamp(start) - offset).date()
    return first, (pd.Timestamp(end).replace(day=1) - offset + pd.offsets.MonthEnd(0)).date()


def last_year_of(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """Whole months: the same whole months a year before; else each day a year before."""
    if _whole_months(start, end):
        return _months_back(start, end, 12)
    return minus_year(start), minus_year(end)


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
    months = _whole_months(start, end)
    if months:
        return (pd.Timestamp(start) - pd.DateOffset(months=months)).date(), start - dt.timedelta(
            days=1
        )
    days = (end - start).days + 1
    return start - dt.timedelta(days=days), start - dt.timedelta(days=1)


def prior_bucket(
    first: dt.date, last: dt.date, start: dt.date, end: dt.date, grain: str
) -> tuple[dt.date, dt.date] | None:
    """A bucket's range in the prior period: month-like buckets of whole months as many months
    back as the prior goes; else as many days back as the prior starts before (whole weeks for
    weeks), nothing if that reaches into the period."""
    months = _whole_months(start, end)
    if months and grain in ("month", "quarter"):
        return _months_back(first, last, months)
    back = (start - prior_of(start, end)[0]).days
    if grain == "week":
        back = int(np.ceil(back / 7)) * 7
    moved = (first - dt.timedelta(days=back), last - dt.timedelta(days=back))
    return moved if moved[1] < start else None


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
    periods["yoy"] = last_year_of(start, end)
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
        for first, last in current:
            row = {"value": metric_value(sums_between(mine, first, last), metric)}
            if "prior" in compare:
                prior = prior_bucket(first, last, start, end, time_grain)
                row["prior"] = (
                    None if prior is None else metric_value(sums_between(mine, *prior), metric)
                )
            if "yoy" in compare:
                yoy = sums_between(mine, *last_year_of(first, last))
                row["yoy"] = metric_value(yoy, metric)
            out[(key if key is not None else first.isoformat(), first.isoformat())] = row
    return out
