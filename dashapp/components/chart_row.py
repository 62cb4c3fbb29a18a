"""Charts, alone or side by side in one row of the analysis pages, each downloadable as a
PNG."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc

from dashapp.components.grid import png_config


def chart(graph_id: str, filename: str, **graph) -> dcc.Graph:
    """A chart whose modebar camera downloads it as ``<filename>.png``."""
    return dcc.Graph(id=graph_id, config=png_config(filename), **graph)


def chart_row(*charts: tuple[str, str, int], class_name: str = "g-3 mb-3") -> dbc.Row:
    """A row of ``(graph id, PNG file name, width of 12 on large screens)`` charts."""
    return dbc.Row(
        [dbc.Col(chart(i, name), lg=width) for i, name, width in charts],
        className=class_name,
    )


def loading_chart_row(*charts: tuple[str, str, int], class_name: str = "g-3 mb-3") -> dcc.Loading:
    """``chart_row`` with the dots that show while its charts are being drawn."""
    return dcc.Loading(chart_row(*charts, class_name=class_name), type="dot")
