"""What drove an alert: revenue change split into traffic, conversion and AOV effects (LMDI), and
the touchpoints, regions, stores and products that moved most, between the alert's bucket and
its comparison bucket, within the rule's scope.

The LMDI split is of gross revenue (before refunds), which factorises as visits × conversion ×
AOV; the change in refunds is listed beside it, so the effects plus the refunds effect add up
to the change in net revenue.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

import pandas as pd
from sqlalchemy import func
from sqlalchemy import select

from analytics.alerts.evaluation import comparison_bucket
from analytics.alerts.rules import RuleInfo
from analytics.decomposition import EFFECTS
from analytics.decomposition import decompose_revenue
from analytics.errors import AnalyticsError
from analytics.periods import Period
from analytics.rollup import Filters
from analytics.rollup import rollup_sums
from db.engine import get_engine
from db.rollup_tables import DailyProductRollup
from db.schema import ChannelCategory
from db.schema import Location
from db.schema import Product
from db.schema import Region
from db.schema import Touchpoint

TOP = 5
CONTRIBUTOR_DIMENSIONS = {"touchpoint": "Touchpoint", "region": "Region", "location": "Store"}


@dataclass
class Breakdown:
    period: Period
    comparison: Period
    effects: pd.DataFrame | None  # one row per touchpoint and a Total row
    refunds_change: float
    effects_note: str = ""  # why some or all of the revenue change is not split
    contributors: dict[str, pd.DataFrame] = field(default_factory=dict)
    products: pd.DataFrame | None = None


def rule_filters(rule: RuleInfo) -> Filters:
    return Filters.of(
        categories=[rule.scope_code] if rule.scope_type == "category" else [],
        touchpoints=[rule.scope_code] if rule.scope_type == "touchpoint" else [],
        regions=[rule.region_code] if rule.region_code else [],
        locations=[rule.location_code] if rule.location_code else [],
    )


def _changes(current: pd.DataFrame, base: pd.DataFrame, dimension: str) -> pd.DataFrame:
    label = f"{dimension}_name"
    now = current.set_index(dimension)[[label, "revenue"]]
    before = base.set_index(dimension)[[label, "revenue"]]
    joined = now.join(before.add_suffix("_base"), how="outer")
    joined[label] = joined[label].fillna(joined[f"{label}_base"])
    joined = joined.fillna({"revenue": 0.0, "revenue_base": 0.0})
    joined["change"] = joined["revenue"] - joined["revenue_base"]
    top = joined.reindex(joined["change"].abs().sort_values(ascending=False).index).head(TOP)
    return top.reset_index()[[dimension, label, "revenue_base", "revenue", "change"]].rename(
        columns={label: "name", dimension: "code"}
    )


def _product_changes(rule: RuleInfo, period: Period, comparison: Period, url: str | None):
    table = DailyProductRollup.__table__
    tp, cat = Touchpoint.__table__, ChannelCategory.__table__
    product = Product.__table__
    query = (
        select(table.c.product_id, product.c.sku, product.c.name, table.c.day, table.c.revenue)
        .join(tp, tp.c.id == table.c.touchpoint_id)
        .join(cat, cat.c.id == tp.c.category_id)
        .join(product, product.c.id == table.c.product_id)
    )
    if rule.scope_type == "category":
        query = query.where(cat.c.code == rule.scope_code)
    elif rule.scope_type == "touchpoint":
        query = query.where(tp.c.code == rule.scope_code)
    if rule.region_code:
        region = select(Region.__table__.c.id).where(Region.__table__.c.code == rule.region_code)
        query = query.where(table.c.region_id.in_(region.scalar_subquery()))
    if rule.location_code:
        place = Location.__table__
        store = select(place.c.id).where(place.c.code == rule.location_code)
        query = query.where(table.c.location_id.in_(store.scalar_subquery()))
    frames = []
    with get_engine(url).connect() as conn:
        for name, span in (("revenue", period), ("revenue_base", comparison)):
            sub = query.where(table.c.day.between(span.start, span.end)).subquery()
            rows = (
                conn.execute(
                    select(sub.c.sku, sub.c.name, func.sum(sub.c.revenue).label(name)).group_by(
                        sub.c.sku, sub.c.name
                    )
                )
                .mappings()
                .all()
            )
            frame = pd.DataFrame(rows, columns=["sku", "name", name])
            frame[name] = frame[name].astype(float)
            frames.append(frame.set_index(["sku", "name"]))
    joined = frames[0].join(frames[1], how="outer").fillna(0.0)
    joined["change"] = joined["revenue"] - joined["revenue_base"]
    top = joined.reindex(joined["change"].abs().sort_values(ascending=False).index).head(TOP)
    return top.reset_index().rename(columns={"sku": "code"})[
        ["code", "name", "revenue_base", "revenue", "change"]
    ]


def _untracked(frame: pd.DataFrame) -> pd.Series:
    """Rows whose conversion or AOV is undefined: orders without visits, revenue without orders."""
    return ((frame["visits"] == 0) & (frame["orders"] > 0)) | (
        (frame["orders"] == 0) & (frame["revenue"] > 0)
    )


def breakdown(
    rule: RuleInfo, period: Period, comparison: Period | None = None, url: str | None = None
) -> Breakdown:
    comparison = comparison or comparison_bucket(rule, period)
    filters = rule_filters(rule)
    by_dimension = {
        dim: (
            rollup_sums(period, by=(dim,), filters=filters, url=url),
            rollup_sums(comparison, by=(dim,), filters=filters, url=url),
        )
        for dim in CONTRIBUTOR_DIMENSIONS
    }
    current, base = by_dimension["touchpoint"]

    def factors(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[["touchpoint_name", "visits", "orders", "gross_revenue"]].rename(
            columns={"gross_revenue": "revenue", "touchpoint_name": "touchpoint"}
        )

    base_factors, current_factors = factors(base), factors(current)
    untracked = set(base_factors.loc[_untracked(base_factors), "touchpoint"]) | set(
        current_factors.loc[_untracked(current_factors), "touchpoint"]
    )
    note = ""
    if untracked:
        note = (
            f"{', '.join(sorted(untracked))}: orders without traffic data, so not split into "
            "traffic, conversion and AOV (their change is in the contributors below)."
        )
    effects = None
    try:
        effects = decompose_revenue(
            base_factors[~base_factors["touchpoint"].isin(untracked)],
            current_factors[~current_factors["touchpoint"].isin(untracked)],
            key="touchpoint",
            total=True,
        )
    except AnalyticsError as exc:
        note = f"No traffic / conversion / AOV split: {exc}"
    refunds_change = float(current["refunds"].sum() - base["refunds"].sum())
    result = Breakdown(period, comparison, effects, refunds_change, note)
    for dim, (now, before) in by_dimension.items():
        result.contributors[dim] = _changes(now, before, dim)
    result.products = _product_changes(rule, period, comparison, url)
    return result


def effect_totals(result: Breakdown) -> dict[str, float]:
    """Traffic, conversion and AOV effects of the whole scope, and the refunds effect."""
    if result.effects is None:
        return {}
    total = result.effects.iloc[-1]
    return {name: float(total[name]) for name in EFFECTS} | {
        "refunds_effect": -result.refunds_change
    }
