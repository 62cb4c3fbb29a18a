"""Budget (planners and up): spend-response curves with their bands, the optimal split of a
total budget for revenue or margin under per-channel limits with its uplift, a what-if with a
slider per channel, and "Apply plan" (an audited, versioned budget plan) with the versions."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL
from dash import Input
from dash import Output
from dash import State
from dash import callback
from dash import dcc
from dash import html
from dash import no_update

from analytics.budget.extrapolation import extrapolations
from analytics.budget.optimise import OBJECTIVES
from analytics.budget.optimise import Allocation
from analytics.budget.plans import DEFAULT_HORIZON
from analytics.budget.plans import active_plan
from analytics.budget.plans import apply_budget_plan
from analytics.budget.plans import plan_versions
from analytics.budget.plans import to_cents
from analytics.channels import level_labels
from analytics.errors import AnalyticsError
from analytics.views.budget import BudgetView
from analytics.views.budget import WhatIfView
from analytics.views.budget import build_budget
from analytics.views.budget import build_whatif
from dashapp.access import register_page
from dashapp.auth import current_actor
from dashapp.components.analysis_frame import refusal
from dashapp.components.budget_charts import curves_figure
from dashapp.components.budget_charts import split_figure
from dashapp.components.budget_parts import amounts_of
from dashapp.components.budget_parts import beyond_history_note
from dashapp.components.budget_parts import bounds_of
from dashapp.components.budget_parts import bounds_table
from dashapp.components.budget_parts import extrapolation_note
from dashapp.components.budget_parts import projection_summary
from dashapp.components.budget_parts import total_of
from dashapp.components.budget_parts import uplift_text
from dashapp.components.budget_parts import whatif_sliders
from dashapp.components.chart_row import loading_chart_row
from dashapp.components.charts import empty_figure
from dashapp.components.filters import number_input
from dashapp.components.forms import inline_choice
from dashapp.components.grid import channel_column
from dashapp.components.grid import column
from dashapp.components.grid import data_grid
from dashapp.components.grid import records
from dashapp.components.grid import register_csv_export
from dashapp.components.ids import contents
from dashapp.components.ids import figures
from dashapp.components.ids import page_ids
from dashapp.components.ids import rows
from dashapp.components.ids import text_values
from dashapp.components.status import status_alert
from dashapp.pages import PLANNING
from db.roles import PermissionDenied
from db.settings import get_settings

PREFIX = "budget"
register_page(__name__, path="/budget", title="Budget", prefix=PREFIX, order=24, **PLANNING)

IDS = page_ids(
    PREFIX,
    "total objective min max whatif optimise message uplift curves_chart split_chart"
    " split_grid whatif_message whatif_summary whatif_grid apply apply_message"
    " beyond_history whatif_beyond_history extrapolation whatif_extrapolation"
    " versions_grid active_grid",
)


def _band(field: str, header: str) -> list[dict]:
    """The 90 % range of an amount: ``<field>_low`` and ``<field>_high``."""
    return [column(f"{field}_{end}", f"{header} 90 % {end}", "currency") for end in ("low", "high")]


def _now_and_proposed(field: str, header: str, kind: str = "currency") -> list[dict]:
    """An amount under today's split (``<field>_current``) and under the proposed one."""
    return [
        column(f"{field}_current", f"{header} now", kind),
        column(f"{field}_proposed", f"{header} proposed", kind),
    ]


def _split_columns() -> list[dict]:
    """The proposed split per channel beside today's."""
    return [
        channel_column(130),
        column("current", "Current split", "currency"),
        column("proposed", "Proposed", "currency"),
        column("change", "Change", "currency"),
        *_now_and_proposed("revenue", "Revenue"),
        *_band("revenue_proposed", "Revenue"),
        *_now_and_proposed("margin", "Margin"),
        *_now_and_proposed("roas", "ROAS", "decimal"),
    ]


def _whatif_columns() -> list[dict]:
    """The what-if projection per channel."""
    return [
        channel_column(130),
        column("spend", "Budget", "currency"),
        column("revenue", "Revenue", "currency"),
        *_band("revenue", "Revenue"),
        column("margin", "Margin after spend", "currency"),
        column("roas", "ROAS", "decimal"),
    ]


def _version_columns() -> list[dict]:
    """The applied budget plans, newest first."""
    return [
        column("version", "Version", "number", maxWidth=110),
        column("status", "Status", maxWidth=130),
        column("created_at", "Applied at", minWidth=210),
        column("created_by", "By"),
        column("objective", "Objective"),
        column("horizon_days", "Days", "number", maxWidth=100),
        column("total", "Total", "currency"),
        column("expected_uplift", "Expected uplift", "currency"),
        *_band("uplift", "Uplift"),
    ]


def _active_columns() -> list[dict]:
    """The active plan per channel."""
    return [
        column("channel_name", "Channel"),
        column("amount", "Planned", "currency"),
        column("current_amount", "Split before", "currency"),
        column("expected_revenue", "Expected revenue", "currency"),
    ]


def layout(**_query) -> html.Div:
    view = build_budget()
    heading = html.H2("Budget", className="h4")
    if view.proposal is None:
        return html.Div(
            [
                heading,
                dbc.Alert(f"No budget to split: {view.message}.", color="info", id=IDS.message),
            ]
        )
    a = view.proposal.allocation
    names = view.proposal.names
    return html.Div(
        [
            heading,
            html.P(
                f"Each channel's revenue as a function of its marketing budget (adstock and "
                f"saturation fitted to a year of daily spend and revenue; the band is the 90 % "
                f"range of bootstrap refits), and the split of a total over the next "
                f"{DEFAULT_HORIZON} days that earns most. The default total is what the last "
                f"{DEFAULT_HORIZON} days spent.",
                className="text-secondary small",
            ),
            _controls(a.current.sum()),
            bounds_table(IDS.min, IDS.max, view.split, _no_curve(view)),
            html.Div(id=IDS.message),
            html.Div(id=IDS.uplift, className="mb-2"),
            loading_chart_row(
                (IDS.split_chart, "budget-split", 5), (IDS.curves_chart, "spend-response", 7)
            ),
            data_grid(IDS.split_grid, _split_columns(), "budget-split.csv", title="Proposed split"),
            html.H3("What if", className="h5 mt-4"),
            html.P(
                "Move budget between channels (drag or type an amount); the projection uses the "
                "same curves. Apply plan records this split as the next budget plan version.",
                className="text-secondary small",
            ),
            whatif_sliders(IDS.whatif, a.channels, names, _in_cents(a), a.total),
            html.Div(id=IDS.whatif_message),
            dcc.Loading(html.Div(id=IDS.whatif_summary, className="mb-2"), type="dot"),
            data_grid(
                IDS.whatif_grid, _whatif_columns(), "budget-whatif.csv", title="What-if projection"
            ),
            dbc.Button("Apply plan", id=IDS.apply, color="primary", className="mb-2"),
            html.Div(id=IDS.apply_message),
            html.H3("Applied budget plans", className="h5 mt-4"),
            data_grid(
                IDS.versions_grid,
                _version_columns(),
                "budget-plans.csv",
                title="Versions, newest first",
                row_data=_version_rows(view.versions),
            ),
            data_grid(
                IDS.active_grid,
                _active_columns(),
                "budget-active-plan.csv",
                title="The active plan by channel",
                row_data=records(view.active_plan),
            ),
        ]
    )


def _controls(default_total: float) -> dbc.Row:
    currency = get_settings().base_currency
    return dbc.Row(
        [
            dbc.Col(
                number_input(
                    IDS.total,
                    f"Total budget over {DEFAULT_HORIZON} days ({currency})",
                    placeholder=f"{default_total:,.0f} (the last {DEFAULT_HORIZON} days)",
                ),
                lg=3,
            ),
            dbc.Col(
                [
                    dbc.Label(
                        "Maximise", html_for=IDS.objective, className="small text-secondary mb-0"
                    ),
                    inline_choice(
                        IDS.objective, {"revenue": "Revenue", "margin": "Margin (after spend)"}
                    ),
                ],
                lg=4,
            ),
            dbc.Col(dbc.Button("Optimise split", id=IDS.optimise, color="primary"), lg="auto"),
        ],
        className="g-3 mb-3 align-items-end",
    )


def _version_rows(versions: pd.DataFrame) -> list[dict]:
    """The versions with when each was applied, to the minute in the reporting time zone."""
    applied = pd.to_datetime(versions["created_at"], utc=True).dt.tz_convert(get_settings().tz)
    return records(versions.assign(created_at=applied.dt.strftime("%d %b %Y %H:%M %Z")))


def _in_cents(allocation: Allocation) -> list[float]:
    """The proposed split as the sliders start: cents that add up to the total, so the plan
    Apply records (the sliders' sum) is the total entered, not a cent over or under it."""
    return [float(amount) for amount in to_cents(allocation.proposed, allocation.total)]


def _no_curve(view: BudgetView) -> dict[str, str]:
    names = view.proposal.names
    return {names.get(c, c): why for c, why in view.proposal.no_curve.items()}


for grid in (IDS.split_grid, IDS.whatif_grid, IDS.versions_grid, IDS.active_grid):
    register_csv_export(grid)


# The controls a split answers to; every callback reads them from the page, never from a copy
# the browser keeps (a request could put anything there).
QUESTION = [
    State(IDS.total, "value"),
    State({"type": IDS.min, "channel": ALL}, "value"),
    State({"type": IDS.max, "channel": ALL}, "value"),
    State({"type": IDS.min, "channel": ALL}, "id"),
]


def _question(objective, total, minimum, maximum, ids) -> dict:
    """The total, objective and limits as ``build_budget`` takes them; AnalyticsError saying
    what is wrong with any of them."""
    if objective not in OBJECTIVES:
        raise AnalyticsError(f"unknown objective {objective!r}; choose revenue or margin")
    channels = [str(i["channel"]) for i in ids]
    names = level_labels("touchpoint", channels)
    return {
        "total": total_of(total),
        "objective": objective,
        "minimum": bounds_of(channels, minimum, "minimum", names),
        "maximum": bounds_of(channels, maximum, "maximum", names),
    }


@callback(
    *contents(IDS.message, IDS.uplift),
    *figures(IDS.curves_chart, IDS.split_chart),
    Output(IDS.split_grid, "rowData"),
    Output({"type": IDS.whatif, "channel": ALL}, "value"),
    Output({"type": IDS.whatif, "channel": ALL}, "max"),
    Input(IDS.optimise, "n_clicks"),
    *text_values(IDS.objective),
    *QUESTION,
)
def optimise(_clicks, objective, total, minimum, maximum, ids):
    try:
        question = _question(objective, total, minimum, maximum, ids)
        view = build_budget(**question)
        if view.proposal is None:
            raise AnalyticsError(view.message)
    except AnalyticsError as exc:
        empty = empty_figure("Budget", "Correct the inputs above")
        unchanged = [no_update] * len(ids)
        return refusal(exc), None, empty, empty, [], unchanged, unchanged
    a = view.proposal.allocation
    currency = get_settings().base_currency
    proposed = dict(zip(a.channels, _in_cents(a), strict=True))
    names = view.proposal.names
    channels = [str(i["channel"]) for i in ids]
    return (
        None,
        [
            uplift_text(a, currency),
            beyond_history_note(view.proposal, currency, IDS.beyond_history),
            extrapolation_note(
                extrapolations(a, view.proposal.spend_ranges, names, currency), IDS.extrapolation
            ),
        ],
        curves_figure(view.curves, view.split, currency, a.horizon_days),
        split_figure(view.split, currency),
        records(view.split),
        [proposed.get(c, 0.0) for c in channels],
        [round(float(question["maximum"].get(c, a.total)), 2) for c in channels],
    )


WHATIF = [
    State({"type": IDS.whatif, "channel": ALL}, "id"),
    State(IDS.objective, "value"),
    *QUESTION,
]


def _whatif(values, slider_ids, objective, total, minimum, maximum, ids) -> WhatIfView:
    question = _question(objective, total, minimum, maximum, ids)
    channels = [str(i["channel"]) for i in slider_ids]
    amounts = amounts_of(channels, values, level_labels("touchpoint", channels))
    return build_whatif(amounts, **question)


@callback(
    *contents(IDS.whatif_message, IDS.whatif_summary),
    Output(IDS.whatif_grid, "rowData"),
    Input({"type": IDS.whatif, "channel": ALL}, "value"),
    *WHATIF,
)
def what_if(values, *controls):
    try:
        whatif = _whatif(values, *controls)
    except AnalyticsError as exc:
        return refusal(exc), None, []
    currency = get_settings().base_currency
    return (
        None,
        [
            projection_summary(whatif, currency, PREFIX),
            beyond_history_note(whatif, currency, IDS.whatif_beyond_history),
            extrapolation_note(
                extrapolations(whatif.allocation, whatif.spend_ranges, whatif.names, currency),
                IDS.whatif_extrapolation,
            ),
        ],
        records(whatif.projection),
    )


def record_plan(allocation) -> int:
    """The one place the page writes a plan: the audited, versioned command as the user."""
    return apply_budget_plan(allocation, current_actor())


@callback(
    Output(IDS.apply_message, "children"),
    *rows(IDS.versions_grid, IDS.active_grid),
    Input(IDS.apply, "n_clicks"),
    State({"type": IDS.whatif, "channel": ALL}, "value"),
    *WHATIF,
    prevent_initial_call=True,
)
def apply(_clicks, values, *controls):
    """Writes the split the what-if shows, as the next plan version."""
    try:
        version = record_plan(_whatif(values, *controls).allocation)
    except (AnalyticsError, PermissionDenied) as exc:
        return refusal(f"not applied: {exc}", "danger"), no_update, no_update
    message = status_alert(
        f"Budget plan version {version} applied and recorded in the audit log.",
        id=f"{PREFIX}-applied",
    )
    return message, _version_rows(plan_versions()), records(active_plan())
