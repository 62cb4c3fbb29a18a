"""Models (data scientists and up): training jobs, each series' published forecast's skill
(backtest MASE against seasonal naive and the best classical method, interval coverage),
champion vs challengers, promote / rollback (audited), "Retrain now" and the MLflow UI."""

from __future__ import annotations

import os

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input
from dash import Output
from dash import callback
from dash import ctx
from dash import dcc
from dash import html
from dash import no_update

from dashapp.access import at_least
from dashapp.access import register_page
from dashapp.auth import current_actor
from dashapp.components.grid import WRAPPED
from dashapp.components.grid import WRAPPED_HEADERS
from dashapp.components.ids import clicks
from dashapp.components.ids import fields
from dashapp.components.ids import page_ids
from dashapp.components.status import status_alert
from db.roles import PermissionDenied
from forecasting.data import channel_names
from forecasting.errors import ForecastingError
from forecasting.job_watch import reconcile
from forecasting.job_watch import unserved_jobs
from forecasting.jobs import promote_version
from forecasting.jobs import rollback_champion
from forecasting.retraining import NO_WORKER
from forecasting.retraining import start_training
from forecasting.retraining import started_message
from forecasting.store import list_jobs
from forecasting.views import VERSION_MODELS
from forecasting.views import version_rows

PREFIX = "models"
register_page(
    __name__,
    path="/models",
    title="Models",
    prefix=PREFIX,
    roles=at_least("data_scientist"),
    order=40,
)

IDS = page_ids(
    PREFIX,
    "jobs waiting versions retrain series version promote rollback message refresh mlflow_link",
)
DEFAULT_MLFLOW_UI = "http://127.0.0.1:5000"

JOB_COLUMNS = [
    {"field": "id", "headerName": "Job", "maxWidth": 90},
    {"field": "series_group", "headerName": "Series group", "minWidth": 190},
    {"field": "status", "headerName": "Status"},
    {"field": "progress", "headerName": "Progress (%)", "maxWidth": 130},
    {"field": "message", "headerName": "Step"},
    {"field": "requested_by", "headerName": "Requested by"},
    {"field": "started_at", "headerName": "Started (UTC)", "minWidth": 150},
    {"field": "finished_at", "headerName": "Finished (UTC)", "minWidth": 150},
    {"field": "error", "headerName": "Error", "flex": 2, **WRAPPED},
]


def mlflow_ui_url() -> str:
    return os.environ.get("CHANNELPERF_MLFLOW_UI_URL", DEFAULT_MLFLOW_UI)


def _stamp(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None and value == value else ""


def _job_rows() -> list[dict]:
    reconcile()
    jobs = list_jobs(limit=40)
    return [
        {
            "id": row["id"],
            "series_group": row["series_group"],
            "status": row["status"],
            "progress": round(100 * float(row["progress"] or 0)),
            "message": row["message"],
            "requested_by": row["requested_by"],
            "started_at": _stamp(row["started_at"]),
            "finished_at": _stamp(row["finished_at"]),
            "error": row["error"] or "",
        }
        for row in jobs.to_dict("records")
    ]


def _waiting_notice() -> dbc.Alert | None:
    """A warning while queued jobs wait with no worker to run them (None otherwise)."""
    waiting = unserved_jobs()
    if not waiting:
        return None
    ids = ", ".join(map(str, waiting))
    return dbc.Alert(
        f"Training jobs {ids} are queued, but {NO_WORKER}.", color="warning", className="py-2"
    )


def _version_rows() -> list[dict]:
    return version_rows(channel_names())


SCORE_COLUMN = {"minWidth": 100, "type": "rightAligned"}


def _version_columns() -> list[dict]:
    columns = [
        {
            "field": "series_label",
            "headerName": "Series",
            "minWidth": 220,
            "tooltipField": "series",
            **WRAPPED,
        },
        {"field": "version", "headerName": "Version", "minWidth": 110, "maxWidth": 120},
        {"field": "alias", "headerName": "Role", "minWidth": 120},
        {"field": "model", "headerName": "Model", "minWidth": 130},
    ]
    columns.append(
        {
            "headerName": "Published forecast (backtest)",
            "children": [
                {"field": "mase", "headerName": "MASE", **SCORE_COLUMN},
                {"field": "vs_snaive", "headerName": "÷ seasonal naive", **SCORE_COLUMN},
                {"field": "vs_classical", "headerName": "÷ best classical", **SCORE_COLUMN},
                {"field": "best_classical", "headerName": "best classical", "minWidth": 90},
                {"field": "coverage", "headerName": "80 % interval coverage (%)", **SCORE_COLUMN},
            ],
        }
    )
    columns.append(
        {
            "headerName": "Candidates' MASE (backtest)",
            "children": [
                {"field": f"{model}_mase", "headerName": model, **SCORE_COLUMN}
                for model in VERSION_MODELS
            ],
        }
    )
    registered = {"field": "created", "headerName": "Registered (UTC)", "minWidth": 130}
    return [*columns, registered | WRAPPED]


def layout(**_query) -> html.Div:
    jobs = _job_rows()  # reconciled first: the notice below counts only jobs still queued
    versions = _version_rows()
    series = sorted({r["series"] for r in versions})
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(html.H2("Models", className="h4"), width="auto"),
                    dbc.Col(
                        [
                            dbc.Button(
                                "Retrain now", id=IDS.retrain, color="primary", className="me-2"
                            ),
                            html.A(
                                "Open the MLflow UI ↗",
                                href=mlflow_ui_url(),
                                target="_blank",
                                id=IDS.mlflow_link,
                                className="btn btn-outline-secondary",
                            ),
                        ],
                        className="text-end",
                    ),
                ],
                className="align-items-center mb-2",
            ),
            html.Div(id=IDS.message),
            dcc.Interval(id=IDS.refresh, interval=5_000),
            html.H3("Training jobs", className="h5"),
            html.Div(_waiting_notice(), id=IDS.waiting),
            dag.AgGrid(
                id=IDS.jobs,
                rowData=jobs,
                columnDefs=JOB_COLUMNS,
                defaultColDef={"flex": 1, "sortable": True, "resizable": True},
                dashGridOptions={
                    "domLayout": "autoHeight",
                    "pagination": True,
                    "paginationPageSize": 20,
                },
            ),
            html.H3("Champions and challengers (mean backtest scores)", className="h5 mt-4"),
            html.P(
                "MASE below 1 beats seasonal naive's in-sample error; the ratios compare the "
                "published (reconciled, calibrated) forecast with seasonal naive and with the "
                "best of ETS, Theta and ARIMA on the same folds (below 1: better). Coverage is "
                "measured on folds the interval was not calibrated on.",
                className="small text-muted",
            ),
            dag.AgGrid(
                id=IDS.versions,
                rowData=versions,
                columnDefs=_version_columns(),
                defaultColDef={
                    "flex": 1,
                    "sortable": True,
                    "filter": True,
                    "resizable": True,
                    **WRAPPED_HEADERS,
                },
                dashGridOptions={
                    "domLayout": "autoHeight",
                    "pagination": True,
                    "paginationPageSize": 20,
                },
                getRowStyle={
                    "styleConditions": [
                        {
                            "condition": "params.data.alias === 'champion'",
                            "style": {"fontWeight": "bold", "backgroundColor": "#e7f1ff"},
                        }
                    ]
                },
            ),
            dbc.Card(
                dbc.CardBody(
                    dbc.Row(
                        [
                            dbc.Col(
                                dcc.Dropdown(id=IDS.series, options=series, placeholder="Series"),
                                md=5,
                            ),
                            dbc.Col(
                                dbc.Input(
                                    id=IDS.version, placeholder="Version", type="number", min=1
                                ),
                                md=2,
                            ),
                            dbc.Col(
                                [
                                    dbc.Button(
                                        "Promote version",
                                        id=IDS.promote,
                                        color="primary",
                                        className="me-2",
                                    ),
                                    dbc.Button(
                                        "Roll back to previous",
                                        id=IDS.rollback,
                                        color="warning",
                                        outline=True,
                                    ),
                                ]
                            ),
                        ],
                        className="g-2 align-items-center",
                    )
                ),
                className="mt-3",
            ),
        ]
    )


def _version_number(value) -> int:
    """The version field's value as a registered version: a whole number from 1 (the field
    sends a number, a crafted request anything); ForecastingError saying what is wrong."""
    if value is None or value == "":
        raise ForecastingError("enter the version to promote")
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if isinstance(value, bool) or number is None or not number.is_integer() or number < 1:
        raise ForecastingError(f"a version is a whole number from 1, not {value!r}")
    return int(number)


@callback(
    Output(IDS.jobs, "rowData"),
    Output(IDS.waiting, "children"),
    Input(IDS.refresh, "n_intervals"),
    prevent_initial_call=True,
)
def refresh_jobs(_tick):
    return _job_rows(), _waiting_notice()


@callback(
    Output(IDS.message, "children"),
    Output(IDS.versions, "rowData"),
    *clicks(IDS.retrain, IDS.promote, IDS.rollback),
    *fields(IDS.series, IDS.version),
    prevent_initial_call=True,
)
def change_models(_retrain, _promote, _rollback, series, version):
    try:
        actor = current_actor()
        if ctx.triggered_id == IDS.retrain:
            done = started_message(start_training(actor, in_background=True))
        elif not series:
            raise ForecastingError("choose a series first")
        elif ctx.triggered_id == IDS.promote:
            number = _version_number(version)
            promote_version(series, str(number), actor)
            done = f"Version {number} is now the champion of {series}."
        else:
            now = rollback_champion(series, actor)
            done = f"Rolled back {series}: version {now} is the champion again."
    except (ForecastingError, PermissionDenied) as exc:
        return status_alert(str(exc), ok=False), no_update
    return status_alert(done), _version_rows()
