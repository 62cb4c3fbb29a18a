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
from dashapp.components.ids import page_ids
from dashapp.pages import ADMIN
from db.errors import CommandError

PREFIX = "admin-channels"
register_page(__name__, path="/admin/channels", title="Channels", prefix=PREFIX, order=97, **ADMIN)

IDS = page_ids(
    PREFIX,
    "grid message category_code category_name add_category touchpoint_code touchpoint_name "
    "touchpoint_category basis add_touchpoint channel new_name rename move_to move retire "
    "restore delete",
)
STATE_CHANGES = {
    IDS.retire: (retire_channel, "retired"),
    IDS.restore: (restore_channel, "restored"),
    IDS.delete: (delete_channel, "deleted"),
}
BUTTONS = (
    IDS.add_category,
    IDS.add_touchpoint,
    IDS.rename,
    IDS.move,
    IDS.retire,
    IDS.restore,
    IDS.delete,
)

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
                _row("Code", dbc.Input(id=IDS.category_code, placeholder="e.g. travel_agents")),
                _row("Name", dbc.Input(id=IDS.category_name, placeholder="e.g. Travel agents")),
                dbc.Button("Add category", id=IDS.add_category, color="primary"),
            ),
            _card(
                "Add a touchpoint",
                _row("Code", dbc.Input(id=IDS.touchpoint_code, placeholder="e.g. agent_portal")),
                _row("Name", dbc.Input(id=IDS.touchpoint_name, placeholder="e.g. Agent portal")),
                _row("Category", dbc.Select(id=IDS.touchpoint_category, options=view.categories)),
                _row(
                    "Conversion basis",
                    dbc.Select(id=IDS.basis, options=view.bases, value="sessions"),
                ),
                dbc.Button("Add touchpoint", id=IDS.add_touchpoint, color="primary"),
            ),
            _card(
                "Change a channel",
                _row("Channel", dbc.Select(id=IDS.channel, options=view.channels)),
                _row("New name", dbc.Input(id=IDS.new_name)),
                dbc.Button("Rename", id=IDS.rename, color="primary", className="mb-2"),
                _row("Move to", dbc.Select(id=IDS.move_to, options=view.categories)),
                dbc.Button("Move touchpoint", id=IDS.move, color="primary", className="mb-3"),
                html.P(
                    "Retiring hides a channel from pickers and new rules; its history still "
                    "counts. Only a channel nothing refers to can be deleted.",
                    className="small text-secondary",
                ),
                dbc.ButtonGroup(
                    [
                        dbc.Button("Retire", id=IDS.retire, color="warning", outline=True),
                        dbc.Button("Restore", id=IDS.restore, color="success", outline=True),
                        dbc.Button("Delete", id=IDS.delete, color="danger", outline=True),
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
            dcc.Loading(html.Div(id=IDS.message), type="default"),
            dag.AgGrid(
                id=IDS.grid,
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
    if trigger == IDS.add_category:
        info = add_category(values["category_code"], values["category_name"], actor)
        return f"Category {info.name} ({info.code}) added."
    if trigger == IDS.add_touchpoint:
        info = add_touchpoint(
            values["touchpoint_code"],
            values["touchpoint_name"],
            values["touchpoint_category"],
            actor,
            conversion_basis=values["basis"] or "sessions",
        )
        return f"Touchpoint {info.name} ({info.code}) added to {info.category}."
    kind, code = _chosen(values["channel"])
    if trigger == IDS.move:
        if kind != "touchpoint":
            raise AnalyticsError("only a touchpoint moves; choose one")
        result = move_touchpoint(code, values["move_to"], actor)
        return f"{result.summary} Done: {'; '.join(STEPS)}."
    if trigger == IDS.rename:
        info = rename_channel(code, values["new_name"], actor, kind=kind)
        return f"{info.code} renamed {info.name}."
    command, done = STATE_CHANGES[trigger]
    info = command(code, actor, kind=kind)
    return f"{info.name} ({info.code}) {done}."


@callback(
    Output(IDS.message, "children"),
    Output(IDS.grid, "rowData"),
    Output(IDS.channel, "options"),
    Output(IDS.touchpoint_category, "options"),
    Output(IDS.move_to, "options"),
    *(Input(button, "n_clicks") for button in BUTTONS),
    State(IDS.category_code, "value"),
    State(IDS.category_name, "value"),
    State(IDS.touchpoint_code, "value"),
    State(IDS.touchpoint_name, "value"),
    State(IDS.touchpoint_category, "value"),
    State(IDS.basis, "value"),
    State(IDS.channel, "value"),
    State(IDS.new_name, "value"),
    State(IDS.move_to, "value"),
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
