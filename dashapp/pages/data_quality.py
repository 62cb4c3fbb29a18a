"""Data quality (data scientists, admins): the latest validation run, its checks, and history."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input
from dash import Output
from dash import callback
from dash import dcc
from dash import html

from analytics.quality.status import history
from analytics.quality.status import latest_run
from analytics.quality.status import run_results
from dashapp.access import at_least
from dashapp.access import register_page
from dashapp.callback_values import declare_store
from dashapp.callback_values import optional_id
from dashapp.components.forms import inline_choice
from dashapp.components.grid import WRAPPED
from dashapp.components.grid import data_grid
from dashapp.components.grid import register_csv_export
from dashapp.components.ids import page_ids
from dashapp.components.ids import text_values
from dashapp.components.quality_charts import validation_history_figure
from db.settings import get_settings

PREFIX = "data-quality"
ROLES = at_least("data_scientist")
register_page(
    __name__, path="/data-quality", title="Data quality", prefix=PREFIX, roles=ROLES, order=70
)

IDS = page_ids(PREFIX, "summary grid history status_filter run_id")
declare_store(IDS.run_id, optional_id)
STATUS_COLORS = {"pass": "#198754", "warn": "#ffc107", "fail": "#dc3545"}
ROW_STYLES = {
    "styleConditions": [
        {"condition": "params.data.status == 'fail'", "style": {"backgroundColor": "#f8d7da"}},
        {"condition": "params.data.status == 'warn'", "style": {"backgroundColor": "#fff3cd"}},
    ]
}
STATUS_CELL = {
    "styleConditions": [
        {"condition": f"params.value == '{s}'", "style": {"color": c, "fontWeight": "600"}}
        for s, c in STATUS_COLORS.items()
    ]
}


def _summary(run: dict) -> dbc.Row:
    when = run["finished_at"].astimezone(get_settings().tz).strftime("%d %b %Y %H:%M %Z")
    passed = run["checks"] - run["warned"] - run["failed"]
    color = {"pass": "success", "warn": "warning", "fail": "danger"}[run["status"]]
    cards = [
        ("Latest run", f"{run['day']:%d %b %Y}", f"run {run['id']} · finished {when}"),
        ("Status", run["status"].upper(), f"triggered by {run['triggered_by']}"),
        ("Passed", str(passed), f"of {run['checks']} results"),
        ("Warnings", str(run["warned"]), "beyond a soft tolerance"),
        ("Failed", str(run["failed"]), "need attention"),
    ]
    return dbc.Row(
        [
            dbc.Col(
                dbc.Card(
                    dbc.CardBody(
                        [
                            html.Div(title, className="small text-secondary"),
                            html.Div(
                                value,
                                className="fs-4 fw-semibold"
                                + (f" text-{color}" if title == "Status" else ""),
                            ),
                            html.Div(note, className="small text-secondary"),
                        ]
                    )
                ),
                md=4,
                xl=2,
            )
            for title, value, note in cards
        ],
        className="g-3 mb-3",
    )


def _rows(run_id: int, choice: str) -> list[dict]:
    results = run_results(run_id)
    if choice == "problems":
        results = results[results["status"] != "pass"]
    results = results.assign(day=results["day"].astype(str))
    return results.drop(columns=["id", "run_id"]).to_dict("records")


def layout(**_query) -> html.Div:
    run = latest_run()
    if run is None:
        return html.Div(
            [
                html.H2("Data quality", className="h4"),
                dbc.Alert(
                    "No validation has run yet: run `channelperf validate` (scheduled daily).",
                    color="info",
                    id=IDS.summary,
                ),
            ]
        )
    return html.Div(
        [
            html.H2("Data quality", className="h4"),
            dcc.Store(id=IDS.run_id, data=run["id"]),
            html.Div(_summary(run), id=IDS.summary),
            inline_choice(
                IDS.status_filter,
                {"all": "All checks", "problems": "Problems only"},
                className="mb-2",
            ),
            data_grid(
                IDS.grid,
                [
                    {"field": "check_name", "headerName": "Check", "maxWidth": 170},
                    {"field": "scope", "headerName": "Scope", "maxWidth": 230},
                    {
                        "field": "status",
                        "headerName": "Status",
                        "maxWidth": 100,
                        "cellStyle": STATUS_CELL,
                    },
                    {"field": "observed", "headerName": "Observed", **WRAPPED},
                    {"field": "expected", "headerName": "Expected", **WRAPPED},
                    {"field": "message", "headerName": "Message", **WRAPPED},
                ],
                f"data-quality-{run['day']}.csv",
                title="Check results",
                row_data=_rows(run["id"], "all"),
                getRowStyle=ROW_STYLES,
            ),
            dcc.Graph(
                id=IDS.history,
                figure=validation_history_figure(history(90), STATUS_COLORS),
                config={"displaylogo": False},
            ),
        ]
    )


register_csv_export(IDS.grid)


@callback(
    Output(IDS.grid, "rowData"),
    *text_values(IDS.status_filter),
    Input(IDS.run_id, "data"),
    prevent_initial_call=True,
)
def filter_status(choice, run_id):
    return _rows(run_id, choice)
