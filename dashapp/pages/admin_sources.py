"""Admin › Sources (admins only): configured sources and their sync status, refreshed live."""

from __future__ import annotations

import datetime as dt

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html

from dashapp.access import register_page
from dashapp.auth import current_actor
from dashapp.pages import ADMIN
from db.errors import CommandError
from ingestion.sources import request_sync
from ingestion.sync_status import SourceStatus, data_as_of, source_status

PREFIX = "admin-sources"
register_page(__name__, path="/admin/sources", title="Sources", prefix=PREFIX, order=95, **ADMIN)

GRID = f"{PREFIX}-grid"
AS_OF = f"{PREFIX}-as-of"
REFRESH = f"{PREFIX}-refresh"
TARGET = f"{PREFIX}-target"
SYNC = f"{PREFIX}-sync"
MESSAGE = f"{PREFIX}-message"
REFRESH_MS = 15_000

COLUMNS = [
    {"field": "name", "headerName": "Source"},
    {"field": "kind", "headerName": "Kind", "maxWidth": 120},
    {"field": "instance", "headerName": "Instance"},
    {"field": "every", "headerName": "Every", "maxWidth": 100},
    {"field": "last_success", "headerName": "Last success (UTC)", "minWidth": 190},
    {"field": "lag", "headerName": "Lag"},
    {"field": "rows", "headerName": "Rows 24 h", "maxWidth": 130},
    {"field": "rejects", "headerName": "Quarantined", "maxWidth": 140},
    {"field": "error", "headerName": "Last error", "flex": 2, "tooltipField": "error"},
]


def _duration(value: dt.timedelta | None) -> str:
    if value is None:
        return "—"
    seconds = int(value.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _row(s: SourceStatus) -> dict:
    return {
        "name": s.name if s.enabled else f"{s.name} (disabled)",
        "kind": s.kind,
        "instance": s.instance,
        "every": _duration(dt.timedelta(seconds=s.poll_interval_seconds)),
        "last_success": s.last_success.strftime("%Y-%m-%d %H:%M:%S") if s.last_success else "never",
        "lag": _duration(s.lag),
        "rows": s.rows_24h,
        "rejects": s.rejects,
        "error": s.last_error or "",
    }


def _as_of() -> str:
    stamp = data_as_of()
    if stamp is None:
        return "No data loaded yet."
    return f"Data as of {stamp.strftime('%Y-%m-%d %H:%M:%S')} UTC."


def _view() -> tuple[list[dict], str, list[dict]]:
    statuses = source_status()
    options = [{"label": s.name, "value": s.name} for s in statuses]
    return [_row(s) for s in statuses], _as_of(), options


def layout(**_query) -> html.Div:
    rows, as_of, options = _view()
    return html.Div(
        [
            html.H2("Sources", className="h4"),
            html.P(as_of, id=AS_OF, className="text-secondary small"),
            dcc.Interval(id=REFRESH, interval=REFRESH_MS),
            html.Div(id=MESSAGE),
            dag.AgGrid(
                id=GRID,
                rowData=rows,
                columnDefs=COLUMNS,
                defaultColDef={"sortable": True, "filter": True, "flex": 1},
                dashGridOptions={"domLayout": "autoHeight", "tooltipShowDelay": 300},
            ),
            dbc.Row(
                [
                    dbc.Col(dbc.Select(id=TARGET, options=options, placeholder="Source"), md=3),
                    dbc.Col(dbc.Button("Sync now", id=SYNC, color="primary"), md="auto"),
                ],
                className="mt-3 g-2",
            ),
            html.P(
                "Sources are added with `channelperf sources add`; the ingest worker "
                "(`channelperf worker ingest`) polls each on its interval and runs webhook "
                "pushes. Credentials stay in environment variables.",
                className="small text-secondary mt-3",
            ),
        ]
    )


@callback(
    Output(GRID, "rowData"),
    Output(AS_OF, "children"),
    Output(TARGET, "options"),
    Output(MESSAGE, "children"),
    Input(REFRESH, "n_intervals"),
    Input(SYNC, "n_clicks"),
    State(TARGET, "value"),
    prevent_initial_call=True,
)
def refresh(_ticks, _clicks, target):
    message = None
    if ctx.triggered_id == SYNC:
        try:
            if not target:
                raise CommandError("choose a source first")
            job = request_sync(target, current_actor())
        except CommandError as exc:
            message = dbc.Alert(str(exc), color="danger", dismissable=True)
        except Exception as exc:  # noqa: BLE001 — a failed sync is shown, not raised
            message = dbc.Alert(f"Sync of {target} failed: {exc}", color="danger", dismissable=True)
        else:
            done = "queued" if job.queued else "done"
            message = dbc.Alert(f"Sync of {target} {done}.", color="success", dismissable=True)
    rows, as_of, options = _view()
    return rows, as_of, options, message
