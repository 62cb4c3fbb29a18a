"""Admin › Targets (admins only): set one target, bulk-import targets from a CSV file, or
delete the selected ones (audited with their values).

The guard refuses every callback of this page for other roles (ids start with
``admin-targets-``); the callback checks the role again before writing anything.
"""

from __future__ import annotations

import base64

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from analytics.errors import AnalyticsError
from analytics.metrics import METRICS, currency_symbol
from analytics.rollup import channel_options
from analytics.targets import (
    TARGET_COLUMNS,
    TARGET_METRICS,
    TargetInput,
    delete_targets,
    import_target_csv,
    list_targets,
    set_target,
)
from dashapp.access import register_page
from dashapp.auth import current_actor
from dashapp.components.filters import channel_filter_options
from dashapp.components.grid import column, data_grid, records, register_csv_export
from dashapp.pages import ADMIN
from db.roles import PermissionDenied
from db.settings import get_settings

PREFIX = "admin-targets"
register_page(__name__, path="/admin/targets", title="Targets", prefix=PREFIX, order=91, **ADMIN)

SCOPE = f"{PREFIX}-scope"
METRIC = f"{PREFIX}-metric"
DATES = f"{PREFIX}-dates"
VALUE = f"{PREFIX}-value"
SAVE = f"{PREFIX}-save"
UPLOAD = f"{PREFIX}-upload"
MESSAGE = f"{PREFIX}-message"
GRID = f"{PREFIX}-grid"
DELETE = f"{PREFIX}-delete"

CSV_HELP = (
    f"CSV header: {','.join(TARGET_COLUMNS)}. scope_type is total, category or touchpoint; "
    f"metric is one of {', '.join(TARGET_METRICS)} (conversion_rate and margin_pct as "
    "fractions, e.g. 0.031; margin_pct is the threshold not to fall below); dates YYYY-MM-DD. "
    "The whole file is checked first: if any row is wrong nothing is written."
)


def _scope_options() -> list[dict]:
    total = {"label": "All channels (total)", "value": "total:total"}
    return [total, *channel_filter_options(channel_options(active_only=True))]


def _grid_rows() -> list[dict]:
    """Targets with the metric's name and the value in its unit (rates as percentages)."""
    targets = list_targets()
    definitions = targets["metric"].map(METRICS)
    targets["metric_label"] = [d.label for d in definitions]
    currency = get_settings().base_currency
    targets["value_text"] = [
        _exact(value, d.unit, currency)
        for value, d in zip(targets["value"], definitions, strict=True)
    ]
    return records(targets)


def _exact(value: float, unit: str, currency: str) -> str:
    """A target as entered, in its unit: $152,345.5, 3.15%, 4.1 (no rounding to 3 digits)."""
    if unit == "currency":
        return f"{currency_symbol(currency)}{value:,.2f}".removesuffix(".00")
    if unit == "percent":
        return f"{value * 100:.6g}%"
    return f"{value:,.6g}"


def layout(**_query) -> html.Div:
    return html.Div(
        [
            html.H2("Targets", className="h4"),
            html.Div(id=MESSAGE),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody(
                                [
                                    html.H3("Set a target", className="h6"),
                                    dbc.Label("Channel", html_for=SCOPE, className="small mb-0"),
                                    dcc.Dropdown(
                                        id=SCOPE,
                                        options=_scope_options(),
                                        value="total:total",
                                        clearable=False,
                                    ),
                                    dbc.Label(
                                        "Metric", html_for=METRIC, className="small mb-0 mt-2"
                                    ),
                                    dcc.Dropdown(
                                        id=METRIC,
                                        options=[
                                            {"label": METRICS[m].label, "value": m}
                                            for m in TARGET_METRICS
                                        ],
                                        value="revenue",
                                        clearable=False,
                                    ),
                                    dbc.Label(
                                        "Period",
                                        html_for=DATES,
                                        className="small mb-0 mt-2 d-block",
                                    ),
                                    dcc.DatePickerRange(
                                        id=DATES, display_format="YYYY-MM-DD", first_day_of_week=1
                                    ),
                                    dbc.Label(
                                        "Value", html_for=VALUE, className="small mb-0 mt-2 d-block"
                                    ),
                                    dbc.Input(
                                        id=VALUE, type="text", placeholder="e.g. 125000 or 0.031"
                                    ),
                                    dbc.Button(
                                        "Save target", id=SAVE, color="primary", className="mt-3"
                                    ),
                                ]
                            )
                        ),
                        lg=5,
                    ),
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody(
                                [
                                    html.H3("Import targets from CSV", className="h6"),
                                    dcc.Upload(
                                        id=UPLOAD,
                                        children=html.Div(
                                            ["Drop a CSV file here or ", html.A("choose one")]
                                        ),
                                        accept=".csv,text/csv",
                                        multiple=False,
                                        className="border border-2 rounded p-4 text-center "
                                        "text-secondary",
                                        style={"borderStyle": "dashed"},
                                    ),
                                    html.P(CSV_HELP, className="small text-secondary mt-2 mb-0"),
                                ]
                            )
                        ),
                        lg=7,
                    ),
                ],
                className="g-3 mb-3",
            ),
            data_grid(
                GRID,
                [
                    column("scope_type", "Scope"),
                    column("scope_name", "Channel"),
                    column("scope_code", "Code", hide=True),
                    column("metric_label", "Metric", minWidth=170),
                    column("metric", "Metric code", hide=True),
                    column("period_start", "From"),
                    column("period_end", "To"),
                    column("value_text", "Target", type="rightAligned", sortable=False),
                    column("value", "Value", "precise", hide=True),
                    column("updated_by", "Set by"),
                ],
                "targets.csv",
                export_columns=[
                    "scope_type",
                    "scope_code",
                    "metric",
                    "period_start",
                    "period_end",
                    "value",
                ],
                title="Targets",
                row_data=_grid_rows(),
                getRowId="params.data.id",
                dashGridOptions={
                    "pagination": True,
                    "paginationPageSize": 20,
                    "domLayout": "autoHeight",
                    "rowSelection": {"mode": "multiRow"},
                },
            ),
            dbc.Button(
                "Delete selected targets", id=DELETE, color="danger", outline=True, size="sm"
            ),
        ]
    )


register_csv_export(GRID)


def _alert(text: str, color: str) -> dbc.Alert:
    return dbc.Alert(text, color=color, dismissable=True, id=f"{PREFIX}-alert")


@callback(
    Output(MESSAGE, "children"),
    Output(GRID, "rowData"),
    Input(SAVE, "n_clicks"),
    Input(UPLOAD, "contents"),
    Input(DELETE, "n_clicks"),
    State(UPLOAD, "filename"),
    State(SCOPE, "value"),
    State(METRIC, "value"),
    State(DATES, "start_date"),
    State(DATES, "end_date"),
    State(VALUE, "value"),
    State(GRID, "selectedRows"),
    prevent_initial_call=True,
)
def change_targets(_save, contents, _delete, filename, scope, metric, start, end, value, selected):
    try:
        actor = current_actor()
        if ctx.triggered_id == UPLOAD:
            if not contents:
                return no_update, no_update
            _kind, _, payload = contents.partition(",")
            count = import_target_csv(base64.b64decode(payload), actor)
            done = f"Imported {count} target{'s' if count != 1 else ''} from {filename}."
        elif ctx.triggered_id == DELETE:
            count = delete_targets([row["id"] for row in selected or []], actor)
            done = f"Deleted {count} target{'s' if count != 1 else ''}."
        else:
            scope_type, _, code = (scope or "").partition(":")
            count = set_target(
                TargetInput(
                    scope_type,
                    code,
                    metric,
                    (start or "")[:10],
                    (end or "")[:10],
                    (value or "").strip(),
                ),
                actor,
            )
            done = (
                f"Saved the {METRICS[metric].label.lower()} target for {code} "
                f"({start[:10]} – {end[:10]})."
            )
    except (AnalyticsError, PermissionDenied) as exc:
        where = f"{filename}: " if ctx.triggered_id == UPLOAD and filename else ""
        nothing = "Nothing was deleted." if ctx.triggered_id == DELETE else "Nothing was saved."
        return _alert(f"{nothing} {where}{exc}", "danger"), no_update
    return _alert(done, "success"), _grid_rows()
