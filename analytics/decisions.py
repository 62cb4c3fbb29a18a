"""The executives' decision list: up to five actions ranked by their expected effect in money.

Four kinds of action, each from the analysis that explains it on its page:

* **budget** (``/budget``): the optimal split of the current marketing budget, as the move
  between the channel that loses most and the one that gains most, worth the split's margin
  uplift; recommended only if the uplift's 90 % interval stays above zero;
* **price** (``/pricing``): a price move on a channel with a usable elasticity estimate,
  worth its margin change under the default volume floor;
* **stock** (``/inventory``): the existing stock re-allocation plan, worth the units of demand
  it saves from going unmet at their unit margin;
* **alert** (``/alerts``): an alert still awaiting its root cause on an amount-of-money metric
  (revenue, spend, refunds), worth the gap between observed and expected.

Whatever the data cannot support is not recommended, and ``not_recommended`` says why (a
channel whose elasticity interval crosses zero, a budget uplift that may be a loss, …). An
analysis that fails for lack of data says so there instead of stopping the list.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from dataclasses import field

import numpy as np
import pandas as pd
from sqlalchemy import select

from analytics.alerts.workflow import AWAITING_ROOT_CAUSE
from analytics.allocation import POSITION_COLUMNS
from analytics.allocation import plan_reallocation
from analytics.budget.plans import DEFAULT_HORIZON
from analytics.budget.plans import propose_budget
from analytics.errors import AnalyticsError
from analytics.metrics import METRICS
from analytics.metrics import RESTRICTED_MEASURES
from analytics.metrics import readable
from analytics.periods import Period
from analytics.views.pricing import build_pricing
from db.alert_tables import Alert
from db.alert_tables import AlertRule
from db.engine import get_engine
from db.roles import at_least
from db.schema import Product
from forecasting.stock_data import stock_positions

MAX_DECISIONS = 5
PRICING_HISTORY_DAYS = 365


@dataclass(frozen=True)
class Decision:
    kind: str  # budget | price | stock | alert
    title: str
    effect: float  # expected effect in the base currency over the horizon
    confidence: str  # high | medium
    page: str  # the page that explains it
    detail: str
    # The title without amounts of spend, for roles that may not read spend (executives).
    spend_free_title: str | None = None
    # What the effect is when it is not a gain expected over the horizon: an alert's gap from
    # normal on its day ("below normal on 04 Dec 2026"), ranked with the gains by its size.
    effect_note: str | None = None

    def title_for(self, role: str | None) -> str:
        if self.spend_free_title is None or role in at_least(RESTRICTED_MEASURES["spend"]):
            return self.title
        return self.spend_free_title


@dataclass(frozen=True)
class DecisionList:
    decisions: tuple[Decision, ...]
    horizon_days: int
    not_recommended: dict[str, str] = field(default_factory=dict)  # subject → why not


def _money(value: float) -> str:
    return f"{value:,.0f}"


def budget_decision(horizon: int, url: str | None, why_not: dict[str, str]) -> list[Decision]:
    try:
        proposal = propose_budget(None, "margin", horizon_days=horizon, url=url)
    except AnalyticsError as exc:
        why_not["budget"] = str(exc)
        return []
    for channel, reason in proposal.no_curve.items():
        why_not[f"budget · {proposal.names.get(channel, channel)}"] = f"no spend curve: {reason}"
    a = proposal.allocation
    if a.uplift_low <= 0 or a.uplift <= 0:
        why_not["budget"] = (
            f"moving budget may not pay: margin uplift {_money(a.uplift)} with a 90 % interval "
            f"from {_money(a.uplift_low)} to {_money(a.uplift_high)}"
        )
        return []
    change = a.proposed - a.current
    source, target = int(np.argmin(change)), int(np.argmax(change))
    names = [proposal.names.get(c, c) for c in a.channels]
    amount = min(-change[source], change[target])
    return [
        Decision(
            kind="budget",
            title=f"Move {_money(amount)} of marketing budget from {names[source]} to "
            f"{names[target]}",
            effect=a.uplift,
            confidence="high" if a.uplift_low > 0.5 * a.uplift else "medium",
            page="/budget",
            spend_free_title=f"Move marketing budget from {names[source]} to {names[target]}",
            detail=f"the optimal split of the last {horizon} days' spend raises margin by "
            f"{_money(a.uplift)} (90 % interval {_money(a.uplift_low)}–{_money(a.uplift_high)})",
        )
    ]


def price_decisions(
    end: dt.date, horizon: int, url: str | None, why_not: dict[str, str]
) -> list[Decision]:
    period = Period(end - dt.timedelta(days=PRICING_HISTORY_DAYS - 1), end)
    view = build_pricing(period, horizon_days=horizon, url=url)
    if view.message:
        why_not["pricing"] = view.message
        return []
    decisions = []
    for row in view.channels.itertuples(index=False):
        if not row.actionable:
            why_not[f"price · {row.channel_name}"] = row.warning or "no margin gain in reach"
            continue
        width = (row.ci_high - row.ci_low) / abs(row.elasticity)
        decisions.append(
            Decision(
                kind="price",
                title=f"Revisit prices on {row.channel_name}: {row.price_change:+.0%} "
                f"(range {row.change_low:+.0%} to {row.change_high:+.0%})",
                effect=float(row.margin_change),
                confidence="high" if width < 0.5 else "medium",
                page="/pricing",
                detail=f"elasticity {row.elasticity:.2f} ({row.ci_low:.2f} to {row.ci_high:.2f}); "
                f"units {row.units_change:+,.0f}, revenue {row.revenue_change:+,.0f} over "
                f"{horizon} days",
            )
        )
    return decisions


def stock_decision(horizon: int, url: str | None, why_not: dict[str, str]) -> list[Decision]:
    positions = stock_positions(horizon, url=url)
    if positions.empty:
        why_not["stock"] = "no inventory data"
        return []
    as_of = pd.Timestamp(positions["day"].iloc[0]).date()
    plan = plan_reallocation(positions[POSITION_COLUMNS], horizon, as_of)
    if plan.moves.empty:
        why_not["stock"] = "no transfer lowers the expected stock-outs"
        return []
    product = Product.__table__
    with get_engine(url).connect() as conn:
        margin = dict(
            conn.execute(select(product.c.id, product.c.list_price - product.c.unit_cost)).all()
        )
    p = plan.positions
    saved_units = p["short_before"] - p["short_after"]
    unit_margin = p["product_id"].map(lambda i: float(margin.get(int(i), 0))).to_numpy()
    effect = float((saved_units.to_numpy() * unit_margin).sum())
    if effect <= 0:
        why_not["stock"] = "the transfers save no margin"
        return []
    e = plan.effect
    return [
        Decision(
            kind="stock",
            title=f"Re-allocate {plan.units_moved:,} units of stock in {len(plan.moves)} transfers",
            effect=effect,
            confidence="medium",
            page="/inventory",
            detail=f"expected stock-outs in {horizon} days {e['expected_stockouts_before']:.1f} → "
            f"{e['expected_stockouts_after']:.1f}",
        )
    ]


def alert_decisions(url: str | None, why_not: dict[str, str], role: str | None) -> list[Decision]:
    """Alerts awaiting their root cause, on metrics ``role`` may read: one on spend is not even
    named to an executive."""
    alert, rule = Alert.__table__, AlertRule.__table__
    query = (
        select(
            alert.c.id,
            alert.c.message,
            alert.c.observed,
            alert.c.expected,
            alert.c.period_start,
            alert.c.period_end,
            rule.c.metric,
        )
        .join(rule, rule.c.id == alert.c.rule_id)
        .where(alert.c.state.in_(AWAITING_ROOT_CAUSE), rule.c.metric.in_(readable(METRICS, role)))
    )
    with get_engine(url).connect() as conn:
        rows = conn.execute(query).all()
    decisions = []
    for row in rows:
        metric = METRICS.get(row.metric)
        if metric is None or metric.unit != "currency" or metric.is_ratio or row.observed is None:
            why_not[f"alert {row.id}"] = "its gap is not an amount of money"
            continue
        gap = float(row.observed) - float(row.expected or 0)
        decisions.append(
            Decision(
                kind="alert",
                title=f"Investigate alert {row.id}: {row.message}",
                effect=abs(gap),
                confidence="medium",
                page="/alerts",
                detail=f"{metric.label} observed {_money(float(row.observed))} against "
                f"{_money(float(row.expected or 0))} expected",
                effect_note=f"{'above' if gap > 0 else 'below'} normal "
                f"{_period_text(row.period_start, row.period_end)}",
            )
        )
    return decisions


def _period_text(start: dt.date, end: dt.date) -> str:
    return f"on {end:%d %b %Y}" if start == end else f"over {start:%d %b} – {end:%d %b %Y}"


def build_decisions(
    end: dt.date, *, role: str | None, horizon_days: int = DEFAULT_HORIZON, url: str | None = None
) -> DecisionList:
    """The decision list as of ``end`` (the last day of data to use), for readers of ``role``
    (see ``Decision.title_for`` for the titles)."""
    why_not: dict[str, str] = {}
    candidates = [
        *budget_decision(horizon_days, url, why_not),
        *price_decisions(end, horizon_days, url, why_not),
        *stock_decision(horizon_days, url, why_not),
        *alert_decisions(url, why_not, role),
    ]
    ranked = sorted((d for d in candidates if d.effect > 0), key=lambda d: -d.effect)
    return DecisionList(tuple(ranked[:MAX_DECISIONS]), horizon_days, why_not)
