"""Quarterly targets per channel category and in total, derived from the demand plan.

Revenue targets are the plan's expected revenue times a category factor between
0.9 and 1.1, so some categories beat their target and some miss it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from ingestion.demo import orders as order_model
from ingestion.demo.plan import DemandPlan
from ingestion.demo.plan import build_plan
from ingestion.demo.plan import period_start
from ingestion.demo.pricing import PRICE_LEVEL
from ingestion.demo.reference import B2B
from ingestion.demo.reference import CATEGORY_OF_TOUCHPOINT
from ingestion.demo.reference import CHANNEL_CATEGORIES
from ingestion.demo.reference import REGION_PRICE_FACTOR
from ingestion.demo.reference import REP
from ingestion.demo.reference import SHIPPED
from ingestion.demo.reference import TOUCHPOINTS

CATEGORY_FACTORS = [0.92, 0.97, 1.03, 1.08]
QUARTER_JITTER = 0.02
MARGIN_HEADROOM = 0.03
SHIPPING_SHARE = 0.35  # orders below the free-shipping threshold


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def next_quarter(day: dt.date) -> dt.date:
    start = quarter_start(day)
    return dt.date(start.year + start.month // 10, (start.month + 2) % 12 + 1, 1)


def expected_quantity() -> np.ndarray:
    """Mean units per line per touchpoint (quadrature over the generator's distributions)."""
    z = np.linspace(-6, 6, 4001)
    density = np.exp(-z * z / 2)
    density /= density.sum()
    consumer = float((np.arange(1, 4) * order_model.CONSUMER_QTY).sum())
    result = np.full(len(TOUCHPOINTS), consumer)
    result[B2B] = (
        np.clip(5 * np.round(np.exp(np.log(order_model.B2B_QTY_MEDIAN / 5) + 0.8 * z)), 5, 200)
        * density
    ).sum()
    result[REP] = (
        np.clip(np.round(np.exp(np.log(order_model.REP_QTY_MEDIAN) + 0.8 * z)), 1, 60) * density
    ).sum()
    return result


def expected_economics(plan: DemandPlan) -> dict[str, np.ndarray]:
    """[day, touchpoint] expected orders, revenue and cost (USD) and visits."""
    cat = plan.catalogue
    cells = plan.cells
    lines = (
        order_model.LINE_COUNT
        / order_model.LINE_COUNT.sum(axis=1, keepdims=True)
        @ np.arange(1, 11)
    )
    qty = expected_quantity()
    net_price = plan.list_usd[:, None, :] * (1 - plan.discount[:, :, cat.category])
    line_value = (plan.choice * net_price).sum(axis=2) * PRICE_LEVEL[None, :] * qty / 100
    line_cost = (plan.choice * cat.unit_cost_minor[None, None, :]).sum(axis=2) * qty / 100
    coupon = np.where(
        np.isin(np.arange(len(TOUCHPOINTS)), [B2B, REP]),
        1.0,
        1 - order_model.COUPON_SHARE * order_model.COUPON_RATE,
    )
    shipping = np.where(
        np.isin(np.arange(len(TOUCHPOINTS)), SHIPPED),
        SHIPPING_SHARE * order_model.SHIPPING_FEE / 100,
        0.0,
    )
    kept = 1 - order_model.CANCEL_SHARE
    result = {
        k: np.zeros((len(plan.days), len(TOUCHPOINTS)))
        for k in ("orders", "revenue", "cost", "visits")
    }
    for tp in range(len(TOUCHPOINTS)):
        mine = cells.touchpoint == tp
        orders = plan.orders[:, mine] * kept
        price_factor = REGION_PRICE_FACTOR[cells.region[mine]]
        result["orders"][:, tp] = orders.sum(axis=1)
        result["revenue"][:, tp] = (orders * price_factor).sum(axis=1) * lines[tp] * line_value[
            :, tp
        ] * coupon[tp] + orders.sum(axis=1) * shipping[tp]
        result["cost"][:, tp] = orders.sum(axis=1) * lines[tp] * line_cost[:, tp]
        result["visits"][:, tp] = (plan.visitors_orders[:, mine] / plan.conversion[:, mine]).sum(1)
    return result


def generate_targets(n_orders: int, seed: int, end: dt.date, years: int = 3) -> pd.DataFrame:
    """Targets per quarter: columns scope_type, scope_code, metric, period_start, period_end, value.

    Metrics: revenue (USD, before tax, net of cancellations), conversion_rate and
    margin_pct (fractions; margin_pct is the threshold not to fall below) and aov (USD).
    Quarters run from the first full quarter of the data to the one after `end`'s.
    """
    start = period_start(end, years)
    horizon = next_quarter(next_quarter(end)) - dt.timedelta(days=1)
    plan = build_plan(n_orders, seed, start, end, horizon)
    economics = expected_economics(plan)
    factors = np.random.default_rng([seed, 5]).permutation(CATEGORY_FACTORS)
    day_ordinals = np.array([d.toordinal() for d in plan.days])

    rows = []
    quarter = quarter_start(start) if quarter_start(start) == start else next_quarter(start)
    while quarter <= horizon:
        last = next_quarter(quarter) - dt.timedelta(days=1)
        in_quarter = (day_ordinals >= quarter.toordinal()) & (day_ordinals <= last.toordinal())
        jitter = np.random.default_rng([seed, 6, quarter.toordinal()]).uniform(
            -QUARTER_JITTER, QUARTER_JITTER, len(CHANNEL_CATEGORIES)
        )
        totals = dict.fromkeys(("orders", "revenue", "cost", "visits"), 0.0)
        total_revenue_target = Decimal(0)
        for c, category in enumerate(CHANNEL_CATEGORIES):
            tps = [
                t for t, code in enumerate(TOUCHPOINTS) if CATEGORY_OF_TOUCHPOINT[code] == category
            ]
            sums = {k: economics[k][in_quarter][:, tps].sum() for k in totals}
            for k in totals:
                totals[k] += sums[k]
            factor = factors[c] + jitter[c]
            revenue = _round(sums["revenue"] * factor, "100")
            total_revenue_target += revenue
            rows += _metrics(
                "category",
                category,
                quarter,
                last,
                revenue,
                sums["orders"] / sums["visits"] * (1 + (factor - 1) / 3),
                sums["revenue"] / sums["orders"] * (1 + (factor - 1) / 2),
                1 - sums["cost"] / sums["revenue"] - MARGIN_HEADROOM,
            )
        rows += _metrics(
            "total",
            "total",
            quarter,
            last,
            total_revenue_target,
            totals["orders"] / totals["visits"],
            float(total_revenue_target) / totals["orders"],
            1 - totals["cost"] / totals["revenue"] - MARGIN_HEADROOM,
        )
        quarter = next_quarter(quarter)
    return pd.DataFrame(
        rows, columns=["scope_type", "scope_code", "metric", "period_start", "period_end", "value"]
    )


def _round(value: float, step: str) -> Decimal:
    return (Decimal(repr(float(value))) / Decimal(step)).quantize(Decimal(1)) * Decimal(step)


def _metrics(
    scope_type: str,
    code: str,
    first: dt.date,
    last: dt.date,
    revenue: Decimal,
    conversion: float,
    aov: float,
    margin: float,
) -> list[tuple]:
    values = {
        "revenue": revenue,
        "conversion_rate": _round(conversion, "0.0001"),
        "aov": _round(aov, "0.01"),
        "margin_pct": _round(margin, "0.001"),
    }
    return [(scope_type, code, metric, first, last, v) for metric, v in values.items()]
