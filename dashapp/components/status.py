"""What a page says after a command: a dismissible green or red alert, and the run of a
command whose refusal is shown rather than raised."""

from __future__ import annotations

from collections.abc import Callable

import dash_bootstrap_components as dbc


def status_alert(text, ok: bool = True, **props) -> dbc.Alert:
    """A dismissible alert: green for what was done, red for what was refused."""
    return dbc.Alert(text, color="success" if ok else "danger", dismissable=True, **props)


def outcome(
    command: Callable[[], str],
    refusals: tuple[type[Exception], ...],
    refused: Callable[[Exception], str] = str,
) -> dbc.Alert:
    """Run ``command`` (it returns what it did); one of ``refusals`` becomes a red alert
    saying ``refused(error)``."""
    try:
        done = command()
    except refusals as exc:
        return status_alert(refused(exc), ok=False)
    return status_alert(done)
