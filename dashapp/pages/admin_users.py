"""Admin › Users (admins only): list users, add one, change a role, disable or enable, reset a
password, issue or revoke an API token (the token is shown once, in the one output that shows it,
and kept nowhere else)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import callback
from dash import ctx
from dash import dcc
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
from dashapp.components.status import status_alert
from dashapp.pages import ADMIN
from db.errors import CommandError
from db.users import add_user
from db.users import issue_api_token
from db.users import list_users
from db.users import revoke_api_token
from db.users import set_active
from db.users import set_password
from db.users import set_role

PREFIX = "admin-users"
register_page(__name__, path="/admin/users", title="Users", prefix=PREFIX, order=90, **ADMIN)

IDS = page_ids(
    PREFIX,
    "grid username password role add target_user new_role set_role disable enable message "
    "issue_token revoke_token new_password reset_password token token_value copy_token",
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
            "api_token": "issued" if u.has_api_token else "none",
        }
        for u in list_users()
    ]


def _user_options() -> list[dict]:
    return [{"label": u.username, "value": u.username} for u in list_users()]


def _password_input(component_id: str, placeholder: str) -> dbc.Input:
    """A password field the browser does not fill with the admin's own saved password."""
    return dbc.Input(
        id=component_id,
        type="password",
        placeholder=placeholder,
        autoComplete="new-password",
        className="mb-2",
    )


def layout(**_query) -> html.Div:
    return html.Div(
        [
            *page_heading("Users"),
            html.Div(id=IDS.message),
            html.Div(id=IDS.token),
            plain_grid(
                IDS.grid,
                _rows(),
                [
                    column("username", "Username"),
                    column("role", "Role"),
                    column("status", "Status"),
                    column("last_login", "Last sign-in", cellDataType="text"),
                    column("api_token", "API token"),
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
                                _password_input(IDS.password, "password (8+ characters)"),
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
                            *labelled(
                                "New password",
                                _password_input(IDS.new_password, "new password (8+ characters)"),
                                label_class="d-block mt-3",
                            ),
                            dbc.Button(
                                "Reset password",
                                id=IDS.reset_password,
                                color="primary",
                                outline=True,
                                className="mb-3",
                            ),
                            html.Div("API token", className="small mb-1"),
                            dbc.ButtonGroup(
                                [
                                    dbc.Button("Issue token", id=IDS.issue_token, color="primary"),
                                    dbc.Button(
                                        "Revoke token",
                                        id=IDS.revoke_token,
                                        color="danger",
                                        outline=True,
                                    ),
                                ]
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


def _chosen(target) -> str:
    if not target:
        raise CommandError("choose a user first")
    return target


def _change(trigger: str, username, password, role, target, new_role, new_password) -> str:
    """Add a user, set a role, reset a password, revoke an API token, disable or enable as the
    signed-in user; what was done."""
    actor = current_actor()
    if trigger == IDS.add:
        user = add_user(username or "", password or "", role, actor=actor)
        return f"Added {user.username} as {ROLE_LABELS[user.role]}."
    target = _chosen(target)
    if trigger == IDS.set_role:
        user = set_role(target, new_role, actor=actor)
        return f"{user.username} is now {ROLE_LABELS[user.role]}."
    if trigger == IDS.reset_password:
        set_password(target, new_password or "", actor=actor)
        return f"{target} has a new password and is signed out everywhere."
    if trigger == IDS.revoke_token:
        revoke_api_token(target, actor=actor)
        return f"{target}'s API token is revoked: the API refuses it from now on."
    active = trigger == IDS.enable
    user = set_active(target, active, actor=actor)
    return f"{user.username} is {'enabled' if active else 'disabled'}."


def _token_panel(username: str, token: str) -> dbc.Alert:
    """The token, once: a read-only field to copy it from, and the warning that it is not kept."""
    return dbc.Alert(
        [
            html.Strong(f"API token for {username}"),
            html.P(
                "Copy it now: it will not be shown again (only its hash is stored). "
                f"Any earlier token of {username}'s no longer works.",
                className="mb-2",
            ),
            dbc.InputGroup(
                [
                    dbc.Input(id=IDS.token_value, value=token, readonly=True),
                    dcc.Clipboard(
                        id=IDS.copy_token,
                        target_id=IDS.token_value,
                        children="Copy",
                        copied_children="Copied",
                        className="btn btn-outline-secondary",
                        title="Copy the token",
                    ),
                ]
            ),
        ],
        color="warning",
        dismissable=True,
    )


def _issue_token(target) -> tuple[dbc.Alert, dbc.Alert | None]:
    """Issue the chosen user's API token as the signed-in user: what was done, and the token."""
    try:
        username = _chosen(target)
        token = issue_api_token(username, actor=current_actor())
    except CommandError as error:
        return status_alert(str(error), ok=False), None
    return status_alert(f"Issued a new API token for {username}."), _token_panel(username, token)


@callback(
    *contents(IDS.message, IDS.token),
    *rows(IDS.grid),
    *choices(IDS.target_user),
    *clicks(
        IDS.add,
        IDS.set_role,
        IDS.disable,
        IDS.enable,
        IDS.reset_password,
        IDS.issue_token,
        IDS.revoke_token,
    ),
    *texts(IDS.username, IDS.password, IDS.role, IDS.target_user, IDS.new_role, IDS.new_password),
    prevent_initial_call=True,
)
def change_users(
    _add,
    _set,
    _disable,
    _enable,
    _reset,
    _issue,
    _revoke,
    username,
    password,
    role,
    target,
    new_role,
    new_password,
):
    """Run the clicked change; a new token is shown in its panel, every other answer clears it."""
    if ctx.triggered_id == IDS.issue_token:
        message, token = _issue_token(target)
    else:
        form = (username, password, role, target, new_role, new_password)
        message = outcome(lambda: _change(ctx.triggered_id, *form), (CommandError,))
        token = None
    return message, token, _rows(), _user_options()
