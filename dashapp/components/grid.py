"""Tables and exports: dash-ag-grid with sorting, filtering and a CSV button; PNG chart config.

CSV exports carry the raw numbers (not the formatted text), so a downloaded file
adds up to exactly what the page shows before rounding. Amounts show the base currency's
symbol, as the KPI cards write it (``analytics.metrics.currency_symbol``).
"""

from __future__ import annotations

import json
import math

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import clientside_callback
from dash import html
from dash.dependencies import Input
from dash.dependencies import Output

from analytics.metrics import currency_symbol
from db.settings import get_settings

# d3 writes "$" as the currency of its locale: ``_d3_format`` gives it the base currency's.
_MONEY = {"currency": "$,.0f", "currency_cents": "$,.2f"}
_FORMATS = {
    "percent": ".1%",
    "pct_points": "+.1f",
    "signed": "+.1f",
    "number": ",.0f",
    "decimal": ",.2f",
    "precise": ",.4~f",
    "rate": ".6~g",
    "pvalue": ".3g",
}
_SIGNED = {"pct_points", "signed"}

# Long headers ("Share among targeted") wrap instead of ending in "…".
WRAPPED_HEADERS = {"wrapHeaderText": True, "autoHeaderHeight": True}
# Long cells (names, messages, "04 Dec 2026 22:50 UTC") wrap rather than widen the grid.
WRAPPED = {
    "wrapText": True,
    "autoHeight": True,
    "cellStyle": {"lineHeight": "1.4", "paddingTop": "10px", "paddingBottom": "10px"},
}


def highlighted(condition: str, style: dict) -> dict:
    """A grid's ``getRowStyle``: rows for which the JavaScript ``condition`` holds get ``style``."""
    return {"styleConditions": [{"condition": condition, "style": style}]}


def column(field: str, header: str, kind: str | None = None, **extra) -> dict:
    """A column definition; ``kind`` picks a number format (see ``_MONEY``, ``_FORMATS``) and
    right-aligns. A money column takes the base currency of the settings when it is defined."""
    definition = {"field": field, "headerName": header, **extra}
    if kind is not None:
        definition |= {
            "type": "rightAligned",
            "filter": "agNumberColumnFilter",
            "valueFormatter": {"function": _formatter(kind)},
        }
    return definition


def _formatter(kind: str) -> str:
    """The cell text's JavaScript; a signed number that rounds to zero reads "±0.0", as
    ``analytics.metrics.signed_text`` writes it on the server (d3 writes "−0.0" / "+0.0")."""
    text = f"{_d3_format(kind)}(params.value)"
    if kind in _SIGNED:
        text += ".replace(/^[+\u2212-](?=[0.]+$)/, '±')"
    if kind == "pct_points":
        text += " + '%'"
    return f"params.value == null ? '—' : {text}"


def _d3_format(kind: str) -> str:
    """The JavaScript of d3's formatter for ``kind``; amounts in the base currency."""
    if kind not in _MONEY:
        return f"d3.format('{_FORMATS[kind]}')"
    symbol = currency_symbol(get_settings().base_currency)
    locale = {"decimal": ".", "thousands": ",", "grouping": [3], "currency": [symbol, ""]}
    return f"d3.formatLocale({json.dumps(locale, ensure_ascii=False)}).format('{_MONEY[kind]}')"


def channel_column(min_width: int = 150) -> dict:
    """The channel's name, pinned at the left of an analysis grid."""
    return column("channel_name", "Channel", pinned="left", minWidth=min_width)


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows for the grid: NaN becomes null, timestamps ISO dates."""
    rows = []
    for row in frame.to_dict("records"):
        clean = {}
        for key, value in row.items():
            if isinstance(value, float) and math.isnan(value):
                value = None
            elif isinstance(value, pd.Timestamp):
                value = value.date().isoformat()
            elif hasattr(value, "isoformat") and not isinstance(value, str):
                value = value.isoformat()
            elif hasattr(value, "item"):
                value = value.item()
            clean[key] = value
        rows.append(clean)
    return rows


def data_grid(
    grid_id: str,
    column_defs: list[dict],
    filename: str,
    export_columns: list[str] | None = None,
    title: str | None = None,
    row_data: list[dict] | None = None,
    **grid_options,
) -> html.Div:
    """A titled grid with an "Export CSV" button (``<grid_id>-export``).

    Register the button once per grid with ``register_csv_export``.
    """
    params = {"fileName": filename}
    if export_columns:
        params["columnKeys"] = export_columns
    header = html.Div(
        [
            html.H3(title, className="h6 mb-0") if title else html.Span(),
            dbc.Button(
                "Export CSV",
                id=f"{grid_id}-export",
                size="sm",
                color="secondary",
                outline=True,
            ),
        ],
        className="d-flex justify-content-between align-items-center mb-2",
    )
    grid = dag.AgGrid(
        id=grid_id,
        rowData=row_data or [],
        columnDefs=column_defs,
        defaultColDef={
            "sortable": True,
            "filter": True,
            "resizable": True,
            "flex": 1,
            "minWidth": 110,
            **WRAPPED_HEADERS,
            "useValueFormatterForExport": False,
        },
        dashGridOptions={"domLayout": "autoHeight", "animateRows": False}
        | grid_options.pop("dashGridOptions", {}),
        csvExportParams=params,
        **grid_options,
    )
    return html.Div([header, grid], className="mb-3")


PLAIN_COLUMNS = {"sortable": True, "filter": True, "flex": 1}


def plain_grid(
    grid_id: str,
    row_data: list[dict],
    column_defs: list[dict],
    default_column: dict | None = None,
    **grid_options,
) -> dag.AgGrid:
    """A bare grid as tall as its rows (no title, no export button): sortable, filterable
    columns sharing the width unless ``default_column`` says otherwise."""
    return dag.AgGrid(
        id=grid_id,
        rowData=row_data,
        columnDefs=column_defs,
        defaultColDef=PLAIN_COLUMNS if default_column is None else default_column,
        dashGridOptions={"domLayout": "autoHeight"} | grid_options.pop("dashGridOptions", {}),
        **grid_options,
    )


def register_csv_export(grid_id: str) -> None:
    """The export button downloads the grid's rows (as sorted and filtered) as CSV."""
    clientside_callback(
        "function(n) { return n ? true : false; }",
        Output(grid_id, "exportDataAsCsv"),
        Input(f"{grid_id}-export", "n_clicks"),
        prevent_initial_call=True,
    )


def png_config(filename: str) -> dict:
    """dcc.Graph config: the modebar camera downloads the chart as a PNG named ``filename``."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    }


def sparkline_svg(values: list[float | None], width: int = 120, height: int = 28) -> str:
    """A small inline SVG line of the values (gaps skipped), for a markdown grid cell."""
    points = [(i, v) for i, v in enumerate(values or []) if v is not None and not math.isnan(v)]
    if len(points) < 2:
        return ""
    low = min(v for _, v in points)
    high = max(v for _, v in points)
    span = (high - low) or 1.0
    last = max(len(values) - 1, 1)
    coordinates = " ".join(
        f"{i / last * (width - 4) + 2:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}"
        for i, v in points
    )
    color = "#198754" if points[-1][1] >= points[0][1] else "#dc3545"
    return (
        f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="weekly trend"><polyline points="{coordinates}" fill="none" '
        f'stroke="{color}" stroke-width="1.5"/></svg>'
    )
