"""The "no access" page, shown inside the app's frame instead of a page the role may not open."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from dashapp.access import ROLE_LABELS
from dashapp.access import pages_for

FORBIDDEN_ID = "forbidden-page"


def forbidden_page(role: str | None, page: dict | None) -> html.Div:
    name = page["name"] if page else "This page"
    first = next(iter(pages_for(role)), None) if role else None
    home = (
        dbc.Button(f"Go to {first['name']}", href=first["relative_path"], color="primary")
        if first
        else None
    )
    who = ROLE_LABELS.get(role or "", "your")
    return html.Div(
        dbc.Card(
            dbc.CardBody(
                [
                    html.H1("You don't have access to this page", className="h4"),
                    html.P(
                        f"{name} is not open to the {who} role. "
                        "Ask an administrator if you need it.",
                        className="text-secondary",
                    ),
                    home,
                ]
            ),
            className="shadow-sm",
            style={"maxWidth": "560px"},
        ),
        id=FORBIDDEN_ID,
        className="mt-4",
    )
