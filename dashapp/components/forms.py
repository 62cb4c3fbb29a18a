"""The pieces of the admin and planning pages' forms: a titled card of fields, a labelled field
(stacked, or beside its control in a row), a row of inline choices and the Disable / Enable pair
beside a row's action."""

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


def form_row(label: str, control, hint: str | None = None, widths: tuple = (4, 8)) -> dbc.Row:
    """A field in a horizontal form: the label (pointing at the control's id, where it has
    one) left of the control, and the ``hint`` under it; ``widths`` split the row's 12."""
    body = [control, html.Div(hint, className="form-text")] if hint else control
    return dbc.Row(
        [
            dbc.Label(label, html_for=getattr(control, "id", None), width=widths[0]),
            dbc.Col(body, width=widths[1]),
        ],
        className="mb-2",
    )


def inline_choice(control_id: str, choices: dict[str, str], **props) -> dbc.RadioItems:
    """Radio buttons in a line for ``choices`` (value → label), the first one chosen."""
    return dbc.RadioItems(
        id=control_id,
        options=[{"label": label, "value": value} for value, label in choices.items()],
        value=next(iter(choices)),
        inline=True,
        **props,
    )


def switch_buttons(
    action: dbc.Button | list[dbc.Button], disable_id: str, enable_id: str, **group
) -> dbc.ButtonGroup:
    """The chosen row's ``action`` (or actions) with Disable and Enable beside it."""
    return dbc.ButtonGroup(
        [
            *(action if isinstance(action, list) else [action]),
            dbc.Button("Disable", id=disable_id, color="danger", outline=True),
            dbc.Button("Enable", id=enable_id, color="success", outline=True),
        ],
        **group,
    )
