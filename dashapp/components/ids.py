"""A page's component ids, declared in one line from its prefix, and the callback
dependencies most callbacks take on them in runs (buttons' clicks, controls' and fields' values).

``IDS = page_ids("budget", "total objective download_button")`` gives ``IDS.total ==
"budget-total"`` and ``IDS.download_button == "budget-download-button"`` (an underscore in a
name is a dash in the id). Every id starts with the page's prefix, which is what the callback
guard (``dashapp/callback_guard.py``) matches a callback to its page by.
"""

from __future__ import annotations

from types import SimpleNamespace

from dash import Input, Output, State


def page_ids(prefix: str, names: str) -> SimpleNamespace:
    """The ids ``<prefix>-<name>`` for the space-separated ``names``, as attributes."""
    return SimpleNamespace(**{name: f"{prefix}-{name.replace('_', '-')}" for name in names.split()})


def clicks(*ids: str) -> list[Input]:
    """The buttons that fire a callback: an ``n_clicks`` input of each id."""
    return [Input(i, "n_clicks") for i in ids]


def values(*ids: str) -> list[Input]:
    """The controls whose change re-runs a callback: a ``value`` input of each id."""
    return [Input(i, "value") for i in ids]


def fields(*ids: str) -> list[State]:
    """The form fields a callback reads when it fires: a ``value`` state of each id."""
    return [State(i, "value") for i in ids]


def figures(*ids: str) -> list[Output]:
    """The charts a callback draws: a ``figure`` output of each id."""
    return [Output(i, "figure") for i in ids]


def contents(*ids: str) -> list[Output]:
    """The messages and panels a callback fills: a ``children`` output of each id."""
    return [Output(i, "children") for i in ids]


def rows(*ids: str) -> list[Output]:
    """The grids a callback fills: a ``rowData`` output of each id."""
    return [Output(i, "rowData") for i in ids]
