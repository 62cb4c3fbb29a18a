"""A confirmation before a sweeping or irreversible command: the command's button only opens a
modal saying what will happen; its Confirm button runs the command (the page's callback takes
the Confirm button's clicks in place of the button's), and Cancel closes it having done nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import dash_bootstrap_components as dbc
from dash import Output
from dash import callback
from dash import ctx
from dash import no_update

from dashapp.components.ids import clicks
from dashapp.components.ids import page_ids


def confirmation_ids(button_id: str) -> SimpleNamespace:
    """The ids of the confirmation ``button_id`` opens: ``button`` itself, then ``modal``,
    ``question``, ``confirm`` and ``cancel`` (``admin-targets-delete-confirm`` …: they start
    with the page's prefix, so the callback guard holds them to the button's page)."""
    ids = page_ids(button_id, "modal question confirm cancel")
    ids.button = button_id
    return ids


def confirmation_modal(ids: SimpleNamespace, title: str) -> dbc.Modal:
    """The closed modal of ``ids`` (``confirmation_ids``): ``title``, the question, Cancel and
    Confirm."""
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(title)),
            dbc.ModalBody(id=ids.question),
            dbc.ModalFooter(
                [
                    dbc.Button("Cancel", id=ids.cancel, color="secondary", outline=True),
                    dbc.Button("Confirm", id=ids.confirm, color="danger"),
                ]
            ),
        ],
        id=ids.modal,
        is_open=False,
    )


def register_confirmation(ids: SimpleNamespace, question: Callable[..., str], *read) -> None:
    """The button opens the modal asking ``question(*values)`` of the ``read`` states (what the
    command would act on); Confirm and Cancel close it. Only the page's command callback, on
    the Confirm button, changes anything."""

    @callback(
        Output(ids.modal, "is_open"),
        Output(ids.question, "children"),
        *clicks(ids.button, ids.confirm, ids.cancel),
        *read,
        prevent_initial_call=True,
    )
    def ask(_button, _confirm, _cancel, *values):
        if ctx.triggered_id == ids.button:
            return True, question(*values)
        return False, no_update
