"""The note a page that needs order lines shows when some channels sold without them."""

from __future__ import annotations

import dash_bootstrap_components as dbc


def lines_alert(note: str | None, prefix: str) -> dbc.Alert | None:
    """``analytics.line_coverage.lines_note``'s text as a quiet alert (``<prefix>-no-lines``)."""
    if note is None:
        return None
    return dbc.Alert(note, color="secondary", className="small py-2", id=f"{prefix}-no-lines")
