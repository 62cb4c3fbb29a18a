"""Admin › Users (admins only): list users, add one, change a role, disable or enable."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import callback
from dash import ctx
from dash import html

from dashapp.access import ROLE_LABELS
from dashapp.access import ROLE_ORDER
from dashapp.access import register_page
from dashapp.auth import current_actor
from dashapp.components.forms import form_card
from dashapp.components.forms import labelled
from dashapp.components.forms import switch_buttons
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
from db.users import add_user
from db.users import list_users
from db.users import set_active
from db.users import set_role

PREFIX = "admin-users"
register_page(__name__, path="/admin/users", title="Users", prefix=PREFIX, order=90, **ADMIN)

IDS = page_ids(
    PREFIX,
    "grid username password role add target_user new_role set_role disable enable message",
)

ROLE_OPTIONS = [{"label": ROLE_LABELS[r], "value": r} for r in ROLE_ORDER]


def _rows() -> list[dict]:
    return [
        {
            "username": u.username,
            "role": ROLE_LABELS[u.role],
            "status": "active" if u.active else "disabled",
            "last_login": u.last_login_at.strftime("%Y-%m-%d %H:%M UTC")
            if u.last_login_at
            else "never",
        }
        for u in list_users()
    ]


def _user_options() -> list[dict]:
    return [{"label": u.username, "value": u.username} for u in list_users()]


def layout(**_query) -> html.Div:
    return html.Div(
        [
            *page_heading("Users"),
            html.Div(id=IDS.message),
            plain_grid(
                IDS.grid,
                _rows(),
                [
                    column("username", "Username"),
                    column("role", "Role"),
                    column("status", "Status"),
                    column("last_login", "Last sign-in", cellDataType="text"),
                ],
                csvExportParams={"fileName": "users.csv"},
            ),
            dbc.Row(
                [
                    form_card(
                        "Add a user",
                        [
                            *labelled(
                                "Username",
                                dbc.Input(
                                    id=IDS.username, placeholder="username", className="mb-2"
                                ),
                            ),
                            *labelled(
                                "Password",
                                dbc.Input(
                                    id=IDS.password,
                                    type="password",
                                    placeholder="password (8+ characters)",
                                    className="mb-2",
                                ),
                            ),
                            *labelled("Role", _role_select(IDS.role)),
                            dbc.Button("Add user", id=IDS.add, color="primary"),
                        ],
                        md=6,
                    ),
                    form_card(
                        "Change a user",
                        [
                            *labelled(
                                "User",
                                dbc.Select(
                                    id=IDS.target_user, options=_user_options(), className="mb-2"
                                ),
                            ),
                            *labelled("New role", _role_select(IDS.new_role)),
                            switch_buttons(
                                dbc.Button("Set role", id=IDS.set_role, color="primary"),
                                IDS.disable,
                                IDS.enable,
                            ),
                        ],
                        md=6,
                    ),
                ],
                className="mt-3 g-3",
            ),
        ]
    )


def _role_select(component_id: str) -> dbc.Select:
    return dbc.Select(id=component_id, options=ROLE_OPTIONS, value="executive", className="mb-2")


def _change(trigger: str, username, password, role, target, new_role) -> str:
    """Add a user, set a role, disable or enable as the signed-in user; what was done."""
    actor = current_actor()
    if trigger == IDS.add:
        user = add_user(username or "", password or "", role, actor=actor)
        return f"Added {user.username} as {ROLE_LABELS[user.role]}."
    if not target:
        raise CommandError("choose a user first")
    if trigger == IDS.set_role:
        user = set_role(target, new_role, actor=actor)
        return f"{user.username} is now {ROLE_LABELS[user.role]}."
    active = trigger == IDS.enable
    user = set_active(target, active, actor=actor)
    return f"{user.username} is {'enabled' if active else 'disabled'}."


@callback(
    *contents(IDS.message),
    *rows(IDS.grid),
    *choices(IDS.target_user),
    *clicks(IDS.add, IDS.set_role, IDS.disable, IDS.enable),
    *texts(IDS.username, IDS.password, IDS.role, IDS.target_user, IDS.new_role),
    prevent_initial_call=True,
)
def change_users(_add, _set, _disable, _enable, username, password, role, target, new_role):
    form = (username, password, role, target, new_role)
    message = outcome(lambda: _change(ctx.triggered_id, *form), (CommandError,))
    return message, _rows(), _user_options()
