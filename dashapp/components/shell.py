"""The page shell: a navigation bar showing only the pages the user's role may open."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc
from dash import html
from flask_wtf.csrf import generate_csrf

from dashapp.access import ROLE_LABELS
from dashapp.access import pages_for


def sign_out_form() -> html.Form:
    """Signing out is a POST with the session's CSRF token, never a link another site can GET."""
    return html.Form(
        [
            dcc.Input(
                type="hidden", name="csrf_token", value=generate_csrf(), id="nav-logout-token"
            ),
            html.Button(
                "Sign out",
                type="submit",
                className="btn btn-sm btn-outline-light ms-3",
                id="nav-logout",
            ),
        ],
        method="post",
        action="/logout",
        className="d-inline",
    )


def _menu(section: str, pages: list[dict]) -> dbc.DropdownMenu:
    return dbc.DropdownMenu(
        [
            dbc.DropdownMenuItem(p["name"], href=p["relative_path"], id=f"nav-{p['id_prefix']}")
            for p in pages
        ],
        label=section,
        nav=True,
        in_navbar=True,
        align_end=True,
        id=f"nav-{section.lower()}",
    )


def navbar(username: str, role: str) -> dbc.Navbar:
    """Analytics pages as links; every other section's pages under one menu named after it
    ("Planning", then "Admin" last) so the bar never overflows."""
    pages = pages_for(role)
    links = [
        dbc.NavItem(
            dbc.NavLink(
                page["name"],
                href=page["relative_path"],
                active="exact",
                id=f"nav-{page['id_prefix']}",
            )
        )
        for page in pages
        if page["section"] == "Analytics"
    ]
    sections = list(dict.fromkeys(p["section"] for p in pages if p["section"] != "Analytics"))
    for section in sorted(sections, key=lambda name: name == "Admin"):
        links.append(_menu(section, [p for p in pages if p["section"] == section]))
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("Channel Performance", href="/"),
                dbc.Collapse(
                    [
                        dbc.Nav(links, className="me-auto", navbar=True, id="nav-links"),
                        html.Span(
                            [
                                html.Span(username, className="fw-semibold", id="nav-username"),
                                html.Span(f" · {ROLE_LABELS[role]}", className="text-white-50"),
                                sign_out_form(),
                            ],
                            className="text-white small text-nowrap",
                        ),
                    ],
                    id="nav-collapse",
                    is_open=True,
                    navbar=True,
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
