"""Every metric, defined once: label, unit, format, favourable direction, numerator, denominator.

A ratio is the sum of its numerator over the sum of its denominator for the
selected slice, never an average of daily ratios: callers sum the additive
``BASE_MEASURES`` over whatever slice they want, then call ``Metric.value``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from analytics.errors import AnalyticsError
from db.roles import at_least
from db.rollup_tables import ROLLUP_MEASURES

# Additive columns of the daily rollup (plus derived additive columns below).
BASE_MEASURES = ROLLUP_MEASURES


# The base measures and the derived ones below: every column a slice can be summed over.
ADDITIVE_MEASURES = (*BASE_MEASURES, "revenue", "gross_profit")


def with_derived(sums: pd.DataFrame) -> pd.DataFrame:
    """Add the additive derived measures: net revenue and gross profit."""
    out = sums.copy()
    out["revenue"] = out["gross_revenue"] - out["refunds"]
    out["gross_profit"] = out["revenue"] - out["cost"]
    return out


@dataclass(frozen=True)
class Metric:
    name: str
    label: str
    unit: str  # currency | count | percent | ratio
    numerator: str
    denominator: str | None = None
    higher_is_better: bool = True
    description: str = ""

    @property
    def is_ratio(self) -> bool:
        return self.denominator is not None

    def value(self, sums: pd.DataFrame | pd.Series) -> pd.Series | float | None:
        """The metric from summed measures (a row, or a frame with one row per group)."""
        numerator = sums[self.numerator]
        if self.denominator is None:
            return numerator.astype(float) if isinstance(numerator, pd.Series) else float(numerator)
        denominator = sums[self.denominator]
        if isinstance(numerator, pd.Series):
            denominator = denominator.astype(float)
            return numerator.astype(float) / denominator.where(denominator != 0)
        return None if not denominator else float(numerator) / float(denominator)

    def format(self, value: float | Decimal | None, currency: str = "USD") -> str:
        return format_value(value, self.unit, currency)


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric(
            "revenue",
            "Revenue",
            "currency",
            "revenue",
            description="Net of tax, cancellations and refunds (refunds on the day made), "
            "base currency",
        ),
        Metric("orders", "Orders", "count", "orders", description="Orders not cancelled"),
        Metric(
            "units", "Units", "count", "units", description="Units sold on orders not cancelled"
        ),
        Metric(
            "aov",
            "Average order value",
            "currency",
            "revenue",
            "orders",
            description="Revenue ÷ orders",
        ),
        Metric(
            "conversion_rate",
            "Conversion rate",
            "percent",
            "conversions",
            "visits",
            description="Orders ÷ sessions online, transactions ÷ footfall in stores, "
            "won ÷ opportunities for B2B and direct sales",
        ),
        Metric(
            "cac",
            "Customer acquisition cost",
            "currency",
            "spend",
            "new_customers",
            higher_is_better=False,
            description="Marketing spend ÷ new customers",
        ),
        Metric(
            "margin_pct",
            "Margin",
            "percent",
            "gross_profit",
            "revenue",
            description="(Revenue − cost of goods) ÷ revenue",
        ),
        Metric(
            "roas",
            "Return on ad spend",
            "ratio",
            "revenue",
            "spend",
            description="Revenue ÷ marketing spend",
        ),
        Metric("spend", "Marketing spend", "currency", "spend", higher_is_better=False),
        Metric("new_customers", "New customers", "count", "new_customers"),
        Metric("refunds", "Refunds", "currency", "refunds", higher_is_better=False),
    )
}


# The base measures each derived measure is built from.
DERIVED_FROM = {
    "revenue": ("gross_revenue", "refunds"),
    "gross_profit": ("gross_revenue", "refunds", "cost"),
}
# Base measures only some roles may read, by the lowest role that may: marketing spend is
# the Budget page's data.
RESTRICTED_MEASURES = {"spend": "planner"}


def measures_of(metric: str) -> frozenset[str]:
    """Every base measure a metric is computed from (numerator and denominator, expanded)."""
    definition = get_metric(metric)
    parts = [definition.numerator, definition.denominator or definition.numerator]
    return frozenset(base for part in parts for base in DERIVED_FROM.get(part, (part,)))


def may_read(metric: str, role: str | None) -> bool:
    """A role reads a metric only if it may read every measure the metric is built from:
    CAC (spend ÷ new customers) is as closed as spend itself, in the API, the pages, the
    alerts and the reports alike."""
    return role is not None and all(
        role in at_least(RESTRICTED_MEASURES[m])
        for m in measures_of(metric) & RESTRICTED_MEASURES.keys()
    )


def readable(metrics, role: str | None) -> tuple[str, ...]:
    """The metrics of ``metrics`` the role may read, in their order."""
    return tuple(m for m in metrics if may_read(m, role))


def get_metric(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        known = ", ".join(METRICS)
        raise AnalyticsError(f"unknown metric {name!r}; known metrics: {known}") from None


def _compact(number: float) -> str:
    magnitude = abs(number)
    for threshold, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if magnitude >= threshold:
            return f"{number / threshold:.1f}{suffix}"
    return f"{number:,.0f}" if magnitude >= 100 else f"{number:,.2f}"


CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$"}


def currency_symbol(currency: str) -> str:
    """``$`` for USD, ``€`` for EUR …; an unknown code followed by a space (``CHF ``)."""
    return CURRENCY_SYMBOLS.get(currency, currency + " ")


def format_value(value: float | Decimal | None, unit: str, currency: str = "USD") -> str:
    """Human formatting with units: $1.2M, 3.4%, 12,345, 4.1×; an em dash for no value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    number = float(value)
    if unit == "currency":
        symbol = currency_symbol(currency)
        sign = "−" if number < 0 else ""
        return f"{sign}{symbol}{_compact(abs(number))}"
    if unit == "percent":
        return f"{number * 100:.1f}%"
    if unit == "ratio":
        return f"{number:.2f}×"
    return f"{number:,.0f}"


def signed_text(number: float, suffix: str = "", decimals: int = 1) -> str:
    """``number`` with its sign ("+4.2", "−1.0", "±0.0"), judged on the digits shown: a change
    that rounds to nothing is not shown as a fall."""
    shown = round(abs(number), decimals)
    sign = "±" if shown == 0 else "+" if number > 0 else "−"
    return f"{sign}{shown:.{decimals}f}{suffix}"


def format_change(change: float | None) -> str:
    """A relative change as a signed percentage ("+4.2%", "−1.0%", "±0.0%")."""
    if change is None or math.isnan(change):
        return "—"
    return signed_text(change * 100, "%")


def relative_change(current: float | None, previous: float | None) -> float | None:
    if current is None or previous is None or previous == 0:
        return None
    return (float(current) - float(previous)) / abs(float(previous))
