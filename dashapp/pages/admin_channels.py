"""Admin › Channels (admins only): the categories and their touchpoints, the channel rules that
send orders to each, and forms to add, rename, move, retire, restore and delete them (retiring
and deleting once confirmed)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import callback
from dash import ctx
from dash import dcc
from dash import html

from analytics.channel_move import STEPS
from analytics.channel_move import move_touchpoint
from analytics.errors import AnalyticsError
from analytics.taxonomy import ChannelInfo
from analytics.taxonomy import add_category
from analytics.taxonomy import add_touchpoint
from analytics.taxonomy import delete_channel
from analytics.taxonomy import list_channels
from analytics.taxonomy import rename_channel
from analytics.taxonomy import restore_channel
from analytics.taxonomy import retire_channel
from analytics.taxonomy import retirement_note
from analytics.views.admin_channels import ChannelsView
from analytics.views.admin_channels import build_admin_channels
from dashapp.access import register_page
from dashapp.auth import current_actor
from dashapp.components.confirm import confirmation_ids
from dashapp.components.confirm import confirmation_modal
from dashapp.components.confirm import register_confirmation
from dashapp.components.forms import form_card
from dashapp.components.forms import form_row
from dashapp.components.grid import column
from dashapp.components.grid import plain_grid
from dashapp.components.heading import page_heading
from dashapp.components.ids import choices
from dashapp.components.ids import clicks
from dashapp.components.ids import contents
from dashapp.components.ids import page_ids
from dashapp.components.ids import rows
from dashapp.components.ids import texts
from dashapp.components.status import outcome
from dashapp.pages import ADMIN
from db.errors import CommandError

PREFIX = "admin-channels"
register_page(__name__, path="/admin/channels", title="Channels", prefix=PREFIX, order=99, **ADMIN)

IDS = page_ids(
    PREFIX,
    "grid message category_code category_name add_category touchpoint_code touchpoint_name "
    "touchpoint_category basis add_touchpoint channel new_name rename move_to move retire "
    "restore delete",
)
RETIRE = confirmation_ids(IDS.retire)
DELETE = confirmation_ids(IDS.delete)
STATE_CHANGES = {
    RETIRE.confirm: (retire_channel, "retired"),
    IDS.restore: (restore_channel, "restored"),
    DELETE.confirm: (delete_channel, "deleted"),
}
# The buttons that run a command (retiring and deleting: their confirmations' Confirm).
BUTTONS = (
    IDS.add_category,
    IDS.add_touchpoint,
    IDS.rename,
    IDS.move,
    RETIRE.confirm,
    IDS.restore,
    DELETE.confirm,
)

# The form fields the callback reads, in order (names in IDS).
FIELDS = (
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

COLUMNS = [
    column("category", "Category", maxWidth=200),
    column("touchpoint", "Touchpoint", maxWidth=200),
    column("code", "Code", maxWidth=180),
    column("basis", "Conversion basis", maxWidth=170),
    column("status", "Status", maxWidth=120),
    column(
        "rules", "Channel rules sending orders here", wrapText=True, autoHeight=True, minWidth=320
    ),
]


def _code_and_name(code_id: str, name_id: str, code: str, name: str) -> list[dbc.Row]:
    """The fields of a new channel: its code and its name (``code`` and ``name`` examples)."""
    return [
        form_row("Code", dbc.Input(id=code_id, placeholder=f"e.g. {code}")),
        form_row("Name", dbc.Input(id=name_id, placeholder=f"e.g. {name}")),
    ]


def _forms(view: ChannelsView) -> dbc.Row:
    return dbc.Row(
        [
            form_card(
                "Add a category",
                [
                    *_code_and_name(
                        IDS.category_code, IDS.category_name, "travel_agents", "Travel agents"
                    ),
                    dbc.Button("Add category", id=IDS.add_category, color="primary"),
                ],
                md=4,
            ),
            form_card(
                "Add a touchpoint",
                [
                    *_code_and_name(
                        IDS.touchpoint_code, IDS.touchpoint_name, "agent_portal", "Agent portal"
                    ),
                    form_row(
                        "Category", dbc.Select(id=IDS.touchpoint_category, options=view.categories)
                    ),
                    form_row(
                        "Conversion basis",
                        dbc.Select(id=IDS.basis, options=view.bases, value="sessions"),
                    ),
                    dbc.Button("Add touchpoint", id=IDS.add_touchpoint, color="primary"),
                ],
                md=4,
            ),
            form_card(
                "Change a channel",
                [
                    form_row("Channel", dbc.Select(id=IDS.channel, options=view.channels)),
                    form_row("New name", dbc.Input(id=IDS.new_name)),
                    dbc.Button("Rename", id=IDS.rename, color="primary", className="mb-2"),
                    form_row("Move to", dbc.Select(id=IDS.move_to, options=view.categories)),
                    dbc.Button("Move touchpoint", id=IDS.move, color="primary", className="mb-3"),
                    html.P(
                        "Retiring hides a channel from pickers and new rules; its history and "
                        "targets stay. Disable or repoint its active channel and alert rules "
                        "first. Only a channel nothing refers to can be deleted.",
                        className="small text-secondary",
                    ),
                    dbc.ButtonGroup(
                        [
                            dbc.Button("Retire", id=IDS.retire, color="warning", outline=True),
                            dbc.Button("Restore", id=IDS.restore, color="success", outline=True),
                            dbc.Button("Delete", id=IDS.delete, color="danger", outline=True),
                        ]
                    ),
                ],
                md=4,
            ),
        ],
        className="mt-3 g-3",
    )


def layout(**_query) -> html.Div:
    view = build_admin_channels()
    return html.Div(
        [
            *page_heading(
                "Channels",
                "Channel categories and their touchpoints. Channel rules (Admin › Channel "
                "rules) send each order to a touchpoint; a touchpoint's category decides where "
                "it counts, on every page and for all its history.",
            ),
            dcc.Loading(html.Div(id=IDS.message), type="default"),
            plain_grid(
                IDS.grid,
                view.rows,
                COLUMNS,
                dashGridOptions={"rowClassRules": {"fw-bold": "params.data.kind === 'category'"}},
            ),
            _forms(view),
            confirmation_modal(RETIRE, "Retire a channel"),
            confirmation_modal(DELETE, "Delete a channel"),
        ]
    )


NO_CHANNEL = "No channel is chosen: choose one in “Change a channel” first."


def _named(channel: str | None) -> ChannelInfo | None:
    """The chosen channel (``kind:code``); None if none is chosen or there is no such one."""
    return {f"{c.kind}:{c.code}": c for c in list_channels()}.get(channel or "")


def _retire_question(channel: str | None) -> str:
    info = _named(channel)
    if info is None:
        return NO_CHANNEL
    question = (
        f"Retire {info.name} ({info.kind} {info.code})? It is hidden from pickers and new "
        "channel rules; its history stays and Restore brings it back. The change is audited."
    )
    return f"{question} {retirement_note(info.code, info.kind)}".strip()


def _delete_question(channel: str | None) -> str:
    info = _named(channel)
    if info is None:
        return NO_CHANNEL
    return (
        f"Delete {info.name} ({info.kind} {info.code})? Only a channel nothing refers to is "
        "deleted (one added by mistake). The deletion is audited and cannot be undone."
    )


register_confirmation(RETIRE, _retire_question, *texts(IDS.channel))
register_confirmation(DELETE, _delete_question, *texts(IDS.channel))


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
    said = f"{info.name} ({info.code}) {done}."
    if trigger == RETIRE.confirm:
        said = f"{said} {retirement_note(info.code, info.kind)}".strip()
    return said


@callback(
    *contents(IDS.message),
    *rows(IDS.grid),
    *choices(IDS.channel, IDS.touchpoint_category, IDS.move_to),
    *clicks(*BUTTONS),
    *texts(*(getattr(IDS, name) for name in FIELDS)),
    prevent_initial_call=True,
)
def change_channels(*arguments):
    values = dict(zip(FIELDS, arguments[len(BUTTONS) :], strict=True))
    message = outcome(lambda: _change(ctx.triggered_id, values), (AnalyticsError, CommandError))
    view = build_admin_channels()
    return message, view.rows, view.channels, view.categories, view.categories
