"""A page's component ids, declared in one line from its prefix, and the callback
dependencies most callbacks take on them in runs (buttons' clicks, controls' and fields' values).

``IDS = page_ids("budget", "total objective download_button")`` gives ``IDS.total ==
"budget-total"`` and ``IDS.download_button == "budget-download-button"`` (an underscore in a
name is a dash in the id). Every id starts with the page's prefix, which is what the callback
guard (``dashapp/callback_guard.py``) matches a callback to its page by.
"""

from __future__ import annotations

from types import SimpleNamespace

from dash import Input
from dash import Output
from dash import State

from dashapp.callback_values import declare
from dashapp.callback_values import rows_with_ids
from dashapp.callback_values import text
from dashapp.callback_values import texts_list


def page_ids(prefix: str, names: str) -> SimpleNamespace:
    """The ids ``<prefix>-<name>`` for the space-separated ``names``, as attributes."""
    return SimpleNamespace(**{name: f"{prefix}-{name.replace('_', '-')}" for name in names.split()})


def _each(dependency: type, prop: str, doc: str):
    """A helper giving one ``dependency(id, prop)`` per id, in order."""

    def each(*ids: str) -> list:
        return [dependency(i, prop) for i in ids]

    each.__doc__ = doc
    return each


clicks = _each(Input, "n_clicks", "The buttons that fire a callback: their ``n_clicks``.")
values = _each(Input, "value", "The controls whose change re-runs a callback: their ``value``.")
fields = _each(State, "value", "The form fields a callback reads when it fires: their ``value``.")
figures = _each(Output, "figure", "The charts a callback draws: their ``figure``.")
contents = _each(Output, "children", "The messages and panels a callback fills: ``children``.")
rows = _each(Output, "rowData", "The grids a callback fills: their ``rowData``.")
shown = _each(Output, "style", "The sections a callback shows or hides: their ``style``.")
choices = _each(Output, "options", "The selects and dropdowns a callback refills: ``options``.")


def texts(*ids: str) -> list:
    """The text fields (and selects of text options) a callback reads when it fires: their
    ``value``, which the callback guard then refuses to be anything but text."""
    return [State(i, "value") for i in declared(ids, "value", text)]


def text_values(*ids: str) -> list:
    """Selects of text options whose change re-runs a callback, held to text like ``texts``."""
    return [Input(i, "value") for i in declared(ids, "value", text)]


def text_choices(*ids: str) -> list:
    """Multiple choices of text options whose change re-runs a callback (a list of text)."""
    return [Input(i, "value") for i in declared(ids, "value", texts_list)]


def chosen_rows(grid_id: str, dependency: type = Input):
    """A grid's selected rows, each held by the callback guard to carry its integer ``id``."""
    return dependency(declared((grid_id,), "selectedRows", rows_with_ids)[0], "selectedRows")


def declared(ids, prop: str, shape) -> tuple[str, ...]:
    """``ids``, after telling the callback guard each one's ``prop`` fits ``shape``."""
    for component_id in ids:
        declare(component_id, prop, shape)
    return tuple(ids)


def date_range(picker_id: str, dependency: type = Input) -> list:
    """A date range picker's start and end dates: inputs, or ``State`` when only read."""
    return [dependency(picker_id, "start_date"), dependency(picker_id, "end_date")]
