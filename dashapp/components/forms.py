"""The pieces of the admin and planning pages' forms: a titled card of fields, a labelled field
and the Disable / Enable pair beside a row's action."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html


def form_card(title: str, children: list, **column) -> dbc.Col:
    """A column (``md=6``, ``lg=5``… as ``column``) holding a card: ``title`` over ``children``."""
    return dbc.Col(dbc.Card(dbc.CardBody([html.H3(title, className="h6"), *children])), **column)


def labelled(label: str, control, label_class: str = "") -> list:
    """A field: its small label, pointing at the control's id, above the control;
    ``label_class`` adds classes to the label (spacing, ``d-block``)."""
    classes = f"small mb-0 {label_class}".rstrip()
    return [dbc.Label(label, html_for=control.id, className=classes), control]


def switch_buttons(action: dbc.Button, disable_id: str, enable_id: str) -> dbc.ButtonGroup:
    """The chosen row's ``action`` with Disable and Enable beside it."""
    return dbc.ButtonGroup(
        [
            action,
            dbc.Button("Disable", id=disable_id, color="danger", outline=True),
            dbc.Button("Enable", id=enable_id, color="success", outline=True),
        ]
    )
