"""The page shell: a navigation bar showing only the pages the user's role may open."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashapp.access import ROLE_LABELS, pages_for


def navbar(username: str, role: str) -> dbc.Navbar:
    links = [
        dbc.NavItem(
            dbc.NavLink(
                page["name"],
                href=page["relative_path"],
                active="exact",
                id=f"nav-{page['id_prefix']}",
            )
        )
        for page in pages_for(role)
    ]
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("Channel Performance", href="/"),
                dbc.Nav(links, className="me-auto", navbar=True, id="nav-links"),
                html.Span(
                    [
                        html.Span(username, className="fw-semibold", id="nav-username"),
                        html.Span(f" · {ROLE_LABELS[role]}", className="text-white-50"),
                        html.A(
                            "Sign out",
                            href="/logout",
                            className="btn btn-sm btn-outline-light ms-3",
                            id="nav-logout",
                        ),
                    ],
                    className="text-white small",
                ),
            ],
            fluid=True,
        ),
        color="dark",
        dark=True,
        className="mb-3",
    )


def shell(username: str, role: str) -> html.Div:
    return html.Div(
        [
            dcc.Location(id="shell-location", refresh=False),
            navbar(username, role),
            dbc.Container(dash.page_container, fluid=True, className="pb-5"),
        ]
    )
