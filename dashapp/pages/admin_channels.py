"""Admin › Channels (admins only): the categories and their touchpoints, the channel rules that
send orders to each, and forms to add, rename, move, retire, restore and delete them."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html

from analytics.channel_move import STEPS, move_touchpoint
from analytics.errors import AnalyticsError
from analytics.taxonomy import (
    add_category,
    add_touchpoint,
    delete_channel,
    rename_channel,
    restore_channel,
    retire_channel,
)
from analytics.views.admin_channels import ChannelsView, build_admin_channels
from dashapp.access import register_page
from dashapp.auth import current_actor
from dashapp.pages import ADMIN
from db.errors import CommandError

PREFIX = "admin-channels"
register_page(__name__, path="/admin/channels", title="Channels", prefix=PREFIX, order=97, **ADMIN)

GRID = f"{PREFIX}-grid"
MESSAGE = f"{PREFIX}-message"
CATEGORY_CODE = f"{PREFIX}-category-code"
CATEGORY_NAME = f"{PREFIX}-category-name"
ADD_CATEGORY = f"{PREFIX}-add-category"
TOUCHPOINT_CODE = f"{PREFIX}-touchpoint-code"
TOUCHPOINT_NAME = f"{PREFIX}-touchpoint-name"
TOUCHPOINT_CATEGORY = f"{PREFIX}-touchpoint-category"
BASIS = f"{PREFIX}-basis"
ADD_TOUCHPOINT = f"{PREFIX}-add-touchpoint"
CHANNEL = f"{PREFIX}-channel"
NEW_NAME = f"{PREFIX}-new-name"
RENAME = f"{PREFIX}-rename"
MOVE_TO = f"{PREFIX}-move-to"
MOVE = f"{PREFIX}-move"
RETIRE = f"{PREFIX}-retire"
RESTORE = f"{PREFIX}-restore"
DELETE = f"{PREFIX}-delete"
STATE_CHANGES = {
    RETIRE: (retire_channel, "retired"),
    RESTORE: (restore_channel, "restored"),
    DELETE: (delete_channel, "deleted"),
}
BUTTONS = (ADD_CATEGORY, ADD_TOUCHPOINT, RENAME, MOVE, RETIRE, RESTORE, DELETE)

COLUMNS = [
    {"field": "category", "headerName": "Category", "maxWidth": 200},
    {"field": "touchpoint", "headerName": "Touchpoint", "maxWidth": 200},
    {"field": "code", "headerName": "Code", "maxWidth": 180},
    {"field": "basis", "headerName": "Conversion basis", "maxWidth": 170},
    {"field": "status", "headerName": "Status", "maxWidth": 120},
    {
        "field": "rules",
        "headerName": "Channel rules sending orders here",
        "wrapText": True,
        "autoHeight": True,
        "minWidth": 320,
    },
]


def _row(label: str, control) -> dbc.Row:
    return dbc.Row(
        [dbc.Label(label, html_for=control.id, width=4), dbc.Col(control, width=8)],
        className="mb-2",
    )


def _card(title: str, *children) -> dbc.Col:
    return dbc.Col(dbc.Card(dbc.CardBody([html.H3(title, className="h6"), *children])), md=4)


def _forms(view: ChannelsView) -> dbc.Row:
    return dbc.Row(
        [
            _card(
                "Add a category",
                _row("Code", dbc.Input(id=CATEGORY_CODE, placeholder="e.g. travel_agents")),
                _row("Name", dbc.Input(id=CATEGORY_NAME, placeholder="e.g. Travel agents")),
                dbc.Button("Add category", id=ADD_CATEGORY, color="primary"),
            ),
            _card(
                "Add a touchpoint",
                _row("Code", dbc.Input(id=TOUCHPOINT_CODE, placeholder="e.g. agent_portal")),
                _row("Name", dbc.Input(id=TOUCHPOINT_NAME, placeholder="e.g. Agent portal")),
                _row("Category", dbc.Select(id=TOUCHPOINT_CATEGORY, options=view.categories)),
                _row(
                    "Conversion basis", dbc.Select(id=BASIS, options=view.bases, value="sessions")
                ),
                dbc.Button("Add touchpoint", id=ADD_TOUCHPOINT, color="primary"),
            ),
            _card(
                "Change a channel",
                _row("Channel", dbc.Select(id=CHANNEL, options=view.channels)),
                _row("New name", dbc.Input(id=NEW_NAME)),
                dbc.Button("Rename", id=RENAME, color="primary", className="mb-2"),
                _row("Move to", dbc.Select(id=MOVE_TO, options=view.categories)),
                dbc.Button("Move touchpoint", id=MOVE, color="primary", className="mb-3"),
                html.P(
                    "Retiring hides a channel from pickers and new rules; its history still "
                    "counts. Only a channel nothing refers to can be deleted.",
                    className="small text-secondary",
                ),
                dbc.ButtonGroup(
                    [
                        dbc.Button("Retire", id=RETIRE, color="warning", outline=True),
                        dbc.Button("Restore", id=RESTORE, color="success", outline=True),
                        dbc.Button("Delete", id=DELETE, color="danger", outline=True),
                    ]
                ),
            ),
        ],
        className="mt-3 g-3",
    )


def layout(**_query) -> html.Div:
    view = build_admin_channels()
    return html.Div(
        [
            html.H2("Channels", className="h4"),
            html.P(
                "Channel categories and their touchpoints. Channel rules (Admin › Channel "
                "rules) send each order to a touchpoint; a touchpoint's category decides where "
                "it counts, on every page and for all its history.",
                className="text-secondary small",
            ),
            dcc.Loading(html.Div(id=MESSAGE), type="default"),
            dag.AgGrid(
                id=GRID,
                rowData=view.rows,
                columnDefs=COLUMNS,
                defaultColDef={"sortable": True, "filter": True, "flex": 1},
                dashGridOptions={
                    "domLayout": "autoHeight",
                    "rowClassRules": {"fw-bold": "params.data.kind === 'category'"},
                },
            ),
            _forms(view),
        ]
    )


def _chosen(channel: str | None) -> tuple[str, str]:
    if not channel or ":" not in channel:
        raise AnalyticsError("choose a channel first")
    kind, code = channel.split(":", 1)
    return kind, code


def _change(trigger: str, values: dict) -> str:
    """Carry out the button's command as the signed-in user; the message says what was done."""
    actor = current_actor()
    if trigger == ADD_CATEGORY:
        info = add_category(values["category_code"], values["category_name"], actor)
        return f"Category {info.name} ({info.code}) added."
    if trigger == ADD_TOUCHPOINT:
        info = add_touchpoint(
            values["touchpoint_code"],
            values["touchpoint_name"],
            values["touchpoint_category"],
            actor,
            conversion_basis=values["basis"] or "sessions",
        )
        return f"Touchpoint {info.name} ({info.code}) added to {info.category}."
    kind, code = _chosen(values["channel"])
    if trigger == MOVE:
        if kind != "touchpoint":
            raise AnalyticsError("only a touchpoint moves; choose one")
        result = move_touchpoint(code, values["move_to"], actor)
        return f"{result.summary} Done: {'; '.join(STEPS)}."
    if trigger == RENAME:
        info = rename_channel(code, values["new_name"], actor, kind=kind)
        return f"{info.code} renamed {info.name}."
    command, done = STATE_CHANGES[trigger]
    info = command(code, actor, kind=kind)
    return f"{info.name} ({info.code}) {done}."


@callback(
    Output(MESSAGE, "children"),
    Output(GRID, "rowData"),
    Output(CHANNEL, "options"),
    Output(TOUCHPOINT_CATEGORY, "options"),
    Output(MOVE_TO, "options"),
    *(Input(button, "n_clicks") for button in BUTTONS),
    State(CATEGORY_CODE, "value"),
    State(CATEGORY_NAME, "value"),
    State(TOUCHPOINT_CODE, "value"),
    State(TOUCHPOINT_NAME, "value"),
    State(TOUCHPOINT_CATEGORY, "value"),
    State(BASIS, "value"),
    State(CHANNEL, "value"),
    State(NEW_NAME, "value"),
    State(MOVE_TO, "value"),
    prevent_initial_call=True,
)
def change_channels(*arguments):
    names = (
        "category_code",
        "category_name",
        "touchpoint_code",
        "touchpoint_name",
        "touchpoint_category",
        "basis",
        "channel",
        "new_name",
        "move_to",
    )
    values = dict(zip(names, arguments[len(BUTTONS) :], strict=True))
    try:
        done = _change(ctx.triggered_id, values)
    except (AnalyticsError, CommandError) as exc:
        message = dbc.Alert(str(exc), color="danger", dismissable=True)
    else:
        message = dbc.Alert(done, color="success", dismissable=True)
    view = build_admin_channels()
    return message, view.rows, view.channels, view.categories, view.categories
