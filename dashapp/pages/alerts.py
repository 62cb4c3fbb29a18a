"""Alerts (all roles): the alert list, one alert's detail and breakdown, and its workflow.

Everyone may read and acknowledge; planners and above also submit the root cause and resolve
(the commands in ``analytics.alerts.workflow`` enforce it, the page only hides what a role
cannot use). The root cause is due 24 h after the alert fired: the list and the detail show the
time left, or how long it is overdue.
"""

from __future__ import annotations

import datetime as dt

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input
from dash import Output
from dash import State
from dash import callback
from dash import ctx
from dash import dcc
from dash import html
from dash import no_update

from analytics.alerts.rules import SEVERITIES
from analytics.alerts.workflow import CAUSE_CATEGORIES
from analytics.alerts.workflow import PLANNERS_UP
from analytics.alerts.workflow import STATE_LABELS
from analytics.alerts.workflow import AlertFilters
from analytics.alerts.workflow import acknowledge
from analytics.alerts.workflow import is_overdue
from analytics.alerts.workflow import list_alerts
from analytics.alerts.workflow import resolve
from analytics.alerts.workflow import submit_root_cause
from analytics.alerts.workflow import time_left
from analytics.errors import AnalyticsError
from analytics.metrics import format_value
from analytics.metrics import get_metric
from analytics.rollup import channel_options
from analytics.views.alerts import build_alert
from dashapp.access import ROLE_ORDER
from dashapp.access import register_page
from dashapp.auth import current_actor
from dashapp.auth import current_role
from dashapp.callback_values import declare_store
from dashapp.callback_values import optional_id
from dashapp.components.alert_detail import alert_detail
from dashapp.components.alert_detail import as_float
from dashapp.components.alert_detail import local_time
from dashapp.components.alert_detail import period_text
from dashapp.components.forms import labelled
from dashapp.components.grid import WRAPPED
from dashapp.components.grid import WRAPPED_HEADERS
from dashapp.components.ids import chosen_rows
from dashapp.components.ids import clicks
from dashapp.components.ids import contents
from dashapp.components.ids import page_ids
from dashapp.components.ids import shown
from dashapp.components.ids import text_choices
from dashapp.components.ids import texts
from dashapp.components.status import status_alert
from db.roles import PermissionDenied
from db.settings import get_settings

PREFIX = "alerts"
register_page(__name__, path="/alerts", title="Alerts", prefix=PREFIX, roles=ROLE_ORDER, order=40)

IDS = page_ids(
    PREFIX,
    "state severity channel grid current changed tick detail message workflow ack_section"
    " ack_note acknowledge rca_section cause_category cause_text corrective_action"
    " submit_root_cause resolve_section resolve_note resolve role_note",
)
declare_store(IDS.current, optional_id)
declare_store(IDS.changed, optional_id)  # a count of changes made here
OPEN_STATES = ["open", "acknowledged", "root_cause_submitted"]
HIDDEN = {"display": "none"}
SHOWN = {"display": "block"}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _rows(states, severities, channels) -> list[dict]:
    frame = list_alerts(
        AlertFilters(
            tuple(states or ()), tuple(severities or ()), tuple(channels or ()), current_role()
        )
    )
    now = _now()
    currency = get_settings().base_currency
    channel_names = {option["value"]: option["label"] for option in _channel_options()}
    rows = []
    for row in frame.to_dict("records"):
        unit = get_metric(row["metric"]).unit
        overdue = is_overdue(row["state"], row["due_at"], now)
        rows.append(
            {
                "id": row["id"],
                "severity": row["severity"],
                "rule": row["rule"],
                "metric": get_metric(row["metric"]).label,
                "scope": "All channels"
                if row["scope_type"] == "total"
                else channel_names.get(row["scope_code"], row["scope_code"]),
                "period": period_text(row["period_start"], row["period_end"]),
                "observed": format_value(as_float(row["observed"]), unit, currency),
                "expected": format_value(as_float(row["expected"]), unit, currency),
                "state": STATE_LABELS[row["state"]],
                "due": "OVERDUE · " + time_left(row["state"], row["due_at"], now)
                if overdue
                else time_left(row["state"], row["due_at"], now),
                "overdue": overdue,
                "fired": local_time(row["fired_at"]),
            }
        )
    return rows


COLUMNS = [
    {"field": "id", "headerName": "#", "maxWidth": 80, "minWidth": 70},
    {
        "field": "severity",
        "headerName": "Severity",
        "maxWidth": 120,
        "cellClassRules": {"text-danger fw-bold": "params.value == 'critical'"},
    },
    {"field": "rule", "headerName": "Rule", "flex": 2, "minWidth": 180, **WRAPPED},
    {"field": "metric", "headerName": "Metric"},
    {"field": "scope", "headerName": "Channel", "minWidth": 115},
    {"field": "period", "headerName": "Period", "minWidth": 115},
    {"field": "observed", "headerName": "Observed", "type": "rightAligned", "minWidth": 120},
    {"field": "expected", "headerName": "Expected", "type": "rightAligned", "minWidth": 120},
    {"field": "state", "headerName": "State", "minWidth": 130, **WRAPPED},
    {
        "field": "due",
        "headerName": "Root cause due",
        "minWidth": 130,
        **WRAPPED,
        "cellClassRules": {"text-danger fw-bold": "params.data.overdue"},
    },
    {"field": "fired", "headerName": "Fired", "minWidth": 130, **WRAPPED},
]


def _channel_options() -> list[dict]:
    options = channel_options(active_only=True)
    seen, out = set(), []
    for row in options.to_dict("records"):
        for code, name in (
            (row["category"], row["category_name"]),
            (row["touchpoint"], row["touchpoint_name"]),
        ):
            if code not in seen:
                seen.add(code)
                out.append({"label": name, "value": code})
    return out


def _section(title: str, section_id: str, *controls) -> html.Div:
    """One step of the workflow, hidden until the alert's state and the user's role allow it."""
    return html.Div(
        [html.H3(title, className="h6"), *controls], id=section_id, style=HIDDEN, className="mb-3"
    )


def _workflow_panel() -> html.Div:
    return html.Div(
        [
            html.Div(id=IDS.role_note, className="small text-secondary mb-2"),
            _section(
                "Acknowledge",
                IDS.ack_section,
                dbc.Input(id=IDS.ack_note, placeholder="Note (optional)", className="mb-2"),
                dbc.Button("Acknowledge", id=IDS.acknowledge, color="primary"),
            ),
            _section(
                "Root cause",
                IDS.rca_section,
                *labelled(
                    "Cause category",
                    dcc.Dropdown(
                        id=IDS.cause_category,
                        options=[{"label": v, "value": k} for k, v in CAUSE_CATEGORIES.items()],
                        placeholder="Choose a category",
                        className="mb-2",
                    ),
                ),
                *labelled(
                    "What happened",
                    dbc.Textarea(
                        id=IDS.cause_text,
                        placeholder="The root cause, with evidence",
                        className="mb-2",
                        rows=3,
                    ),
                ),
                *labelled(
                    "Corrective action",
                    dbc.Textarea(
                        id=IDS.corrective_action,
                        className="mb-2",
                        rows=2,
                        placeholder="e.g. retrain store staff on the POS tool; reallocate stock",
                    ),
                ),
                dbc.Button("Submit root cause", id=IDS.submit_root_cause, color="primary"),
            ),
            _section(
                "Resolve",
                IDS.resolve_section,
                dbc.Input(
                    id=IDS.resolve_note, placeholder="Resolution note (optional)", className="mb-2"
                ),
                dbc.Button("Resolve", id=IDS.resolve, color="success"),
            ),
        ],
        id=IDS.workflow,
    )


def _filter(label: str, control_id: str, everything: str, options, width: int, **value):
    """A column holding a labelled multiple choice; choosing none means ``everything``."""
    choice = dcc.Dropdown(
        id=control_id, multi=True, options=options, placeholder=everything, **value
    )
    return dbc.Col(labelled(label, choice), md=width)


def layout(alert: str | None = None, **_query) -> html.Div:
    selected = int(alert) if alert and alert.isdigit() else None
    if not optional_id(selected):  # more digits than an id holds
        selected = None
    return html.Div(
        [
            html.H2("Alerts", className="h4"),
            dcc.Store(id=IDS.current, data=selected),
            dcc.Store(id=IDS.changed, data=0),
            dcc.Interval(id=IDS.tick, interval=60_000),
            dbc.Row(
                [
                    _filter(
                        "State",
                        IDS.state,
                        "All states",
                        [{"label": v, "value": k} for k, v in STATE_LABELS.items()],
                        4,
                        value=OPEN_STATES,
                    ),
                    _filter(
                        "Severity",
                        IDS.severity,
                        "All severities",
                        [{"label": s.capitalize(), "value": s} for s in SEVERITIES],
                        3,
                    ),
                    _filter("Channel", IDS.channel, "All channels", _channel_options(), 5),
                ],
                className="mb-3 g-3",
            ),
            dag.AgGrid(
                id=IDS.grid,
                columnDefs=COLUMNS,
                rowData=[],
                defaultColDef={
                    "sortable": True,
                    "filter": True,
                    "resizable": True,
                    "flex": 1,
                    "minWidth": 100,
                    **WRAPPED_HEADERS,
                },
                dashGridOptions={
                    "rowSelection": {"mode": "singleRow", "enableClickSelection": True},
                    "domLayout": "autoHeight",
                    "pagination": True,
                    "paginationPageSize": 20,
                },
                getRowId="params.data.id",
                csvExportParams={"fileName": "alerts.csv"},
            ),
            html.Div(id=IDS.message, className="mt-3"),
            dbc.Row(
                [
                    dbc.Col(dcc.Loading(html.Div(id=IDS.detail), type="dot"), lg=8),
                    dbc.Col(dbc.Card(dbc.CardBody(_workflow_panel())), lg=4),
                ],
                className="mt-3 g-3",
            ),
        ]
    )


@callback(
    Output(IDS.grid, "rowData"),
    *text_choices(IDS.state, IDS.severity, IDS.channel),
    Input(IDS.changed, "data"),
    Input(IDS.tick, "n_intervals"),
)
def update_list(states, severities, channels, _changed, _tick):
    return _rows(states, severities, channels)


@callback(
    Output(IDS.current, "data"),
    chosen_rows(IDS.grid),
    prevent_initial_call=True,
)
def choose_alert(selected):
    return selected[0]["id"] if selected else no_update


@callback(
    *contents(IDS.detail),
    *shown(IDS.ack_section, IDS.rca_section, IDS.resolve_section),
    *contents(IDS.role_note),
    Input(IDS.current, "data"),
    Input(IDS.changed, "data"),
    Input(IDS.tick, "n_intervals"),
)
def show_alert(alert_id, _changed, _tick):
    if not alert_id:
        hint = html.P(
            "Choose an alert in the list to see its detail and breakdown.",
            className="text-secondary",
        )
        return hint, HIDDEN, HIDDEN, HIDDEN, "No alert chosen."
    try:
        view = build_alert(int(alert_id), current_role())
        detail, state = alert_detail(PREFIX, view, _now()), view.alert["state"]
    except AnalyticsError as exc:
        return dbc.Alert(str(exc), color="warning"), HIDDEN, HIDDEN, HIDDEN, ""
    planner = current_role() in PLANNERS_UP
    note = f"Alert #{alert_id} is {STATE_LABELS[state].lower()}." + (
        "" if planner else " Planners and above submit the root cause and resolve."
    )
    return (
        detail,
        SHOWN if state == "open" else HIDDEN,
        SHOWN if planner and state in ("open", "acknowledged") else HIDDEN,
        SHOWN if planner and state == "root_cause_submitted" else HIDDEN,
        note,
    )


@callback(
    Output(IDS.message, "children"),
    Output(IDS.changed, "data"),
    *clicks(IDS.acknowledge, IDS.submit_root_cause, IDS.resolve),
    State(IDS.current, "data"),
    *texts(
        IDS.ack_note, IDS.cause_category, IDS.cause_text, IDS.corrective_action, IDS.resolve_note
    ),
    State(IDS.changed, "data"),
    prevent_initial_call=True,
)
def change_alert(
    _ack, _submit, _resolve, alert_id, ack_note, category, cause, action, resolve_note, changed
):
    try:
        actor = current_actor()
        if not alert_id:
            raise AnalyticsError("choose an alert first")
        if ctx.triggered_id == IDS.acknowledge:
            acknowledge(int(alert_id), actor, ack_note)
            done = f"Alert #{alert_id} acknowledged by {actor.name}."
        elif ctx.triggered_id == IDS.submit_root_cause:
            submit_root_cause(int(alert_id), actor, category, cause, action)
            done = f"Root cause of alert #{alert_id} submitted by {actor.name}."
        else:
            resolve(int(alert_id), actor, resolve_note)
            done = f"Alert #{alert_id} resolved by {actor.name}."
    except (AnalyticsError, PermissionDenied) as exc:
        return status_alert(str(exc).capitalize(), ok=False, id=f"{PREFIX}-error"), no_update
    return status_alert(done, id=f"{PREFIX}-done"), (changed or 0) + 1
