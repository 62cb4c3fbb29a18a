"""Admin › Targets (admins only): set one target, bulk-import targets from a CSV file, or
delete the selected ones once confirmed (audited with their values).

The guard refuses every callback of this page for other roles (ids start with
``admin-targets-``); the callback checks the role again before writing anything.
"""

from __future__ import annotations

import base64

import dash_bootstrap_components as dbc
from dash import Input
from dash import State
from dash import callback
from dash import ctx
from dash import dcc
from dash import html
from dash import no_update

from analytics.errors import AnalyticsError
from analytics.metrics import METRICS
from analytics.metrics import currency_symbol
from analytics.rollup import channel_options
from analytics.target_rows import TARGET_COLUMNS
from analytics.target_rows import TARGET_METRICS
from analytics.targets import TargetInput
from analytics.targets import delete_targets
from analytics.targets import import_target_csv
from analytics.targets import list_targets
from analytics.targets import set_target
from dashapp.access import register_page
from dashapp.auth import current_actor
from dashapp.components.confirm import confirmation_ids
from dashapp.components.confirm import confirmation_modal
from dashapp.components.confirm import register_confirmation
from dashapp.components.filters import channel_filter_options
from dashapp.components.forms import form_card
from dashapp.components.forms import labelled
from dashapp.components.grid import column
from dashapp.components.grid import data_grid
from dashapp.components.grid import records
from dashapp.components.grid import register_csv_export
from dashapp.components.heading import page_heading
from dashapp.components.ids import chosen_rows
from dashapp.components.ids import contents
from dashapp.components.ids import date_range
from dashapp.components.ids import page_ids
from dashapp.components.ids import rows
from dashapp.components.ids import texts
from dashapp.components.status import status_alert
from dashapp.pages import ADMIN
from db.roles import PermissionDenied
from db.settings import get_settings

PREFIX = "admin-targets"
register_page(__name__, path="/admin/targets", title="Targets", prefix=PREFIX, order=91, **ADMIN)

IDS = page_ids(PREFIX, "scope metric dates value save upload message grid delete")
DELETE = confirmation_ids(IDS.delete)

CSV_HELP = (
    f"CSV header: {','.join(TARGET_COLUMNS)}. scope_type is total, category or touchpoint; "
    f"metric is one of {', '.join(TARGET_METRICS)} (conversion_rate and margin_pct as "
    "fractions, e.g. 0.031; margin_pct is the threshold not to fall below); dates YYYY-MM-DD. "
    "Targets of one channel and metric may not overlap; one for exactly the period of an "
    "existing one replaces it. The whole file is checked first: if any row is wrong nothing "
    "is written."
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
            *page_heading("Targets"),
            html.Div(id=IDS.message),
            dbc.Row(
                [
                    form_card(
                        "Set a target",
                        [
                            *labelled(
                                "Channel",
                                dcc.Dropdown(
                                    id=IDS.scope,
                                    options=_scope_options(),
                                    value="total:total",
                                    clearable=False,
                                ),
                            ),
                            *labelled(
                                "Metric",
                                dcc.Dropdown(
                                    id=IDS.metric,
                                    options=[
                                        {"label": METRICS[m].label, "value": m}
                                        for m in TARGET_METRICS
                                    ],
                                    value="revenue",
                                    clearable=False,
                                ),
                                "mt-2",
                            ),
                            *labelled(
                                "Period",
                                dcc.DatePickerRange(
                                    id=IDS.dates,
                                    display_format="YYYY-MM-DD",
                                    first_day_of_week=1,
                                ),
                                "mt-2 d-block",
                            ),
                            *labelled(
                                "Value",
                                dbc.Input(
                                    id=IDS.value,
                                    type="text",
                                    placeholder="e.g. 125000 or 0.031",
                                ),
                                "mt-2 d-block",
                            ),
                            dbc.Button(
                                "Save target",
                                id=IDS.save,
                                color="primary",
                                className="mt-3",
                            ),
                        ],
                        lg=5,
                    ),
                    form_card(
                        "Import targets from CSV",
                        [
                            dcc.Upload(
                                id=IDS.upload,
                                children=html.Div(
                                    ["Drop a CSV file here or ", html.A("choose one")]
                                ),
                                accept=".csv,text/csv",
                                multiple=False,
                                className="border border-2 rounded p-4 text-center text-secondary",
                                style={"borderStyle": "dashed"},
                            ),
                            html.P(CSV_HELP, className="small text-secondary mt-2 mb-0"),
                        ],
                        lg=7,
                    ),
                ],
                className="g-3 mb-3",
            ),
            data_grid(
                IDS.grid,
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
                export_columns=list(TARGET_COLUMNS),
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
                "Delete selected targets", id=IDS.delete, color="danger", outline=True, size="sm"
            ),
            confirmation_modal(DELETE, "Delete targets"),
        ]
    )


register_csv_export(IDS.grid)


def _delete_question(selected: list[dict] | None) -> str:
    if not selected:
        return "No target is selected: tick the targets to delete in the grid first."
    count = len(selected)
    return (
        f"Delete {count} selected target{'s' if count != 1 else ''}? Targets & variance and "
        "the target alerts no longer compare against them. The audit log keeps their values, "
        "but the deletion cannot be undone."
    )


register_confirmation(DELETE, _delete_question, chosen_rows(IDS.grid, State))


def _alert(text: str, ok: bool) -> dbc.Alert:
    """The outcome; a refused file lists its wrong rows one per line."""
    return status_alert(text, ok, id=f"{PREFIX}-alert", style={"whiteSpace": "pre-line"})


@callback(
    *contents(IDS.message),
    *rows(IDS.grid),
    Input(IDS.save, "n_clicks"),
    Input(IDS.upload, "contents"),
    Input(DELETE.confirm, "n_clicks"),
    State(IDS.upload, "filename"),
    *texts(IDS.scope, IDS.metric),
    *date_range(IDS.dates, State),
    *texts(IDS.value),
    chosen_rows(IDS.grid, State),
    prevent_initial_call=True,
)
def change_targets(_save, contents, _delete, filename, scope, metric, start, end, value, selected):
    try:
        actor = current_actor()
        if ctx.triggered_id == IDS.upload:
            if not contents:
                return no_update, no_update
            _kind, _, payload = contents.partition(",")
            count = import_target_csv(base64.b64decode(payload), actor)
            done = f"Imported {count} target{'s' if count != 1 else ''} from {filename}."
        elif ctx.triggered_id == DELETE.confirm:
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
        where = f"{filename}: " if ctx.triggered_id == IDS.upload and filename else ""
        deleting = ctx.triggered_id == DELETE.confirm
        nothing = "Nothing was deleted." if deleting else "Nothing was saved."
        return _alert(f"{nothing} {where}{exc}", ok=False), no_update
    return _alert(done, ok=True), _grid_rows()
