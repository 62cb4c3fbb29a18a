"""The Budget page's pieces: per-channel limits and what-if sliders, reading them back with a
clear message for anything that is not an amount, and the what-if projection's summary."""

from __future__ import annotations

import math

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc
from dash import html

from analytics.budget.optimise import Allocation
from analytics.budget.plans import BudgetProposal
from analytics.errors import AnalyticsError
from analytics.metrics import format_value
from analytics.views.budget import WhatIfView
from dashapp.components.filters import number_input


def money(value: float, currency: str) -> str:
    return format_value(value, "currency", currency)


def _amount(value, what: str) -> float | None:
    """An input's amount (None when empty); AnalyticsError naming ``what`` otherwise."""
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise AnalyticsError(f"{what} must be an amount, not {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise AnalyticsError(f"{what} must be a non-negative amount, not {value}")
    return number


def total_of(value) -> float | None:
    """The total budget input: None (empty) means the last period's spend."""
    total = _amount(value, "the total budget")
    if total is not None and total <= 0:
        raise AnalyticsError("the total budget must be more than zero")
    return total


def bounds_of(
    channels: list[str], values: list, what: str, names: dict[str, str]
) -> dict[str, float]:
    """The per-channel limits that were filled in (``names``: channel code → display name)."""
    bounds = {}
    for channel, value in zip(channels, values, strict=True):
        amount = _amount(value, f"the {what} for {names.get(channel, channel)}")
        if amount is not None:
            bounds[channel] = amount
    return bounds


def amounts_of(channels: list[str], values: list, names: dict[str, str]) -> dict[str, float]:
    """The what-if split: every channel needs an amount."""
    amounts = bounds_of(channels, values, "budget", names)
    missing = [names.get(c, c) for c in channels if c not in amounts]
    if missing:
        raise AnalyticsError(f"give {missing[0]} an amount (0 to spend nothing there)")
    return amounts


def uplift_text(allocation: Allocation, currency: str, subject: str = "The proposed split"):
    a = allocation
    verb = "raises" if a.uplift >= 0 else "lowers"
    objective = "margin after spend" if a.objective == "margin" else "revenue"
    return html.Span(
        f"{subject} of {money(a.total, currency)} {verb} {objective} by "
        f"{money(abs(a.uplift), currency)} over {a.horizon_days} days against the current split "
        f"(90 % interval {money(a.uplift_low, currency)} to {money(a.uplift_high, currency)}).",
        **{"data-uplift": f"{a.uplift:.6f}", "data-total": f"{a.total:.6f}"},
    )


def beyond_history_note(
    plan: BudgetProposal | WhatIfView, currency: str, note_id: str
) -> dbc.Alert | None:
    """A warning when the split's total is far beyond any spend the curves were fitted on."""
    if not plan.beyond_history:
        return None
    a, most = plan.allocation, plan.most_spent
    times = f"{a.total / most:,.0f}× " if most > 0 else ""
    return dbc.Alert(
        f"{money(a.total, currency)} is {times}the most these channels have spent in any "
        f"{a.horizon_days} days ({money(most, currency)}): the curves never saw spend near it, "
        "so this split and its revenue are extrapolation.",
        color="warning",
        className="mt-2 mb-0",
        id=note_id,
    )


def extrapolation_note(warnings: list[str], note_id: str) -> dbc.Alert | None:
    """The channels whose amount is outside the spend their curve was fitted on, if any
    (``analytics.budget.extrapolation.extrapolations``)."""
    if not warnings:
        return None
    return dbc.Alert(
        html.Ul([html.Li(text) for text in warnings], className="mb-0 ps-3"),
        color="warning",
        className="mt-2 mb-0",
        id=note_id,
    )


def bounds_table(
    minimum_type: str, maximum_type: str, split: pd.DataFrame, no_curve: dict[str, str]
) -> html.Div:
    """One row per channel with a curve: its recent spend, and a minimum and maximum input."""

    def limit(kind: str, channel: str) -> list:
        return number_input({"type": kind, "channel": channel}, size="sm", placeholder="none")

    rows = [
        html.Tr(
            [
                html.Td(row.channel_name),
                html.Td(f"{row.current:,.0f}", className="text-end"),
                html.Td(limit(minimum_type, row.channel)),
                html.Td(limit(maximum_type, row.channel)),
            ]
        )
        for row in split.itertuples(index=False)
    ]
    head = html.Thead(
        html.Tr(
            [
                html.Th("Channel"),
                html.Th("Current split", className="text-end"),
                html.Th("Minimum"),
                html.Th("Maximum"),
            ]
        )
    )
    left_out = [
        html.Li(f"{name}: no spend curve ({why})", className="small text-secondary")
        for name, why in no_curve.items()
    ]
    return html.Div(
        [
            html.H3("Limits per channel (optional)", className="h6"),
            dbc.Table(
                [head, html.Tbody(rows)], size="sm", className="mb-1", style={"maxWidth": "720px"}
            ),
            html.Ul(left_out, className="mb-2") if left_out else None,
        ],
        className="mb-3",
    )


def whatif_sliders(
    slider_type: str, channels, names: dict[str, str], proposed, total: float
) -> html.Div:
    """A slider (with a box to type into) per channel, starting at the proposed split
    (``proposed``: amounts rounded to cents that add up to the total)."""
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(html.Span(names.get(c, c), className="small fw-semibold"), md=2),
                    dbc.Col(
                        dcc.Slider(
                            id={"type": slider_type, "channel": c},
                            min=0,
                            max=round(total, 2),
                            step=0.01,
                            value=x,
                            marks=None,
                        ),
                        md=10,
                    ),
                ],
                className="align-items-center mb-1",
            )
            for c, x in zip(channels, proposed, strict=True)
        ],
        className="mb-2",
    )


def _roas_text(proposed: float, current: float) -> tuple[str, str]:
    """The ROAS and its change; "—" where the spend is too small to have one."""
    if math.isnan(proposed):
        return "—", ""
    return f"{proposed:.2f}×", "" if math.isnan(current) else f"{proposed - current:+.2f}"


def projection_summary(whatif: WhatIfView, currency: str, prefix: str) -> html.Div:
    """Budget, revenue, margin and ROAS of the what-if split, each against the current split."""
    now, new = whatif.current, whatif.totals
    figures = {
        "spend": ("Budget", money(new["spend"], currency), ""),
        "revenue": ("Revenue", money(new["revenue"], currency),
                    money(new["revenue"] - now["revenue"], currency)),
        "margin": ("Margin after spend", money(new["margin"], currency),
                   money(new["margin"] - now["margin"], currency)),
        "roas": ("ROAS", *_roas_text(new["roas"], now["roas"])),
    }  # fmt: skip
    cells = [
        dbc.Col(
            [
                html.Div(label, className="small text-secondary"),
                html.Div(value, className="fs-5 fw-semibold", id=f"{prefix}-whatif-{key}"),
                html.Div(f"{change} vs current split" if change else "", className="small"),
            ],
            md=3,
        )
        for key, (label, value, change) in figures.items()
    ]
    note = html.Div(
        uplift_text(whatif.allocation, currency, "This split"), className="small text-secondary"
    )
    return html.Div([dbc.Row(cells, className="g-2 mb-1"), note], id=f"{prefix}-whatif-figures")
