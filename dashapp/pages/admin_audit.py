"""Admin › Audit (admins only): the audit trail, filtered by actor, action, entity and dates,
with the chain's verification and a CSV export."""

from __future__ import annotations

import datetime as dt

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input
from dash import Output
from dash import callback
from dash import dcc
from dash import html

from dashapp.access import register_page
from dashapp.components.filters import picked_date
from dashapp.components.grid import WRAPPED
from dashapp.components.ids import date_range
from dashapp.components.ids import page_ids
from dashapp.components.ids import text_values
from dashapp.pages import ADMIN
from db import audit

PREFIX = "admin-audit"
register_page(__name__, path="/admin/audit", title="Audit", prefix=PREFIX, order=92, **ADMIN)

IDS = page_ids(PREFIX, "actor action entity dates grid export chain count")
LIMIT = 5000


def _chain_status() -> dbc.Alert:
    problems, newest = audit.chain_state()
    if problems:
        listed = "; ".join(f"entry {p.entry_id}: {p.reason}" for p in problems[:5])
        return dbc.Alert(
            f"The hash chain is broken ({len(problems)} problem(s)): {listed}", color="danger"
        )
    if newest is None:
        return dbc.Alert("No audit entries yet.", color="secondary")
    return dbc.Alert(
        f"Hash chain intact up to entry {newest[0]} (head {newest[1][:16]}…).", color="success"
    )


def _rows(actor, action, entity, start, end) -> list[dict]:
    rows = audit.find_entries(
        actor=actor,
        action=action,
        entity_type=entity,
        start=picked_date(start),
        end=picked_date(end),
        limit=LIMIT,
    )
    return [
        {
            "id": row["id"],
            "at": row["at"].astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "actor": row["actor"],
            "action": row["action"],
            "entity_type": row["entity_type"],
            "entity_id": row["entity_id"],
            "change": audit.change_summary(row["before"], row["after"]),
            "before": audit.value_text(row["before"]),
            "after": audit.value_text(row["after"]),
            "hash": row["hash"],
        }
        for row in rows
    ]


def _dropdown(component_id: str, label: str, values: list[str]) -> dbc.Col:
    return dbc.Col(
        [
            dbc.Label(label, html_for=component_id, className="small text-secondary mb-0"),
            dcc.Dropdown(
                id=component_id,
                options=[{"label": v, "value": v} for v in values],
                placeholder="All",
            ),
        ],
        md=3,
    )


def layout(**_query) -> html.Div:
    options = audit.entry_filter_options()
    return html.Div(
        [
            html.H2("Audit trail", className="h4"),
            html.Div(_chain_status(), id=IDS.chain),
            dbc.Row(
                [
                    _dropdown(IDS.actor, "Actor", options["actor"]),
                    _dropdown(IDS.action, "Action", options["action"]),
                    _dropdown(IDS.entity, "Entity", options["entity_type"]),
                    dbc.Col(
                        [
                            dbc.Label("Dates (UTC)", className="small text-secondary mb-0"),
                            dcc.DatePickerRange(
                                id=IDS.dates, display_format="YYYY-MM-DD", clearable=True
                            ),
                        ],
                        md=3,
                    ),
                ],
                className="g-3 mb-2 align-items-end",
            ),
            dbc.Row(
                [
                    dbc.Col(html.Div(id=IDS.count, className="small text-secondary")),
                    dbc.Col(
                        dbc.Button("Export CSV", id=IDS.export, color="secondary", outline=True),
                        width="auto",
                    ),
                ],
                className="mb-2 align-items-center",
            ),
            dag.AgGrid(
                id=IDS.grid,
                rowData=[],
                columnDefs=[
                    {"field": "id", "headerName": "#", "maxWidth": 80},
                    {"field": "at", "headerName": "When (UTC)", "maxWidth": 180},
                    {"field": "actor", "headerName": "Actor", "maxWidth": 140},
                    {"field": "action", "headerName": "Action", "maxWidth": 180},
                    {"field": "entity_type", "headerName": "Entity", "maxWidth": 130},
                    {"field": "entity_id", "headerName": "Entity id", "maxWidth": 160},
                    {"field": "change", "headerName": "Change", "flex": 3, **WRAPPED},
                    {"field": "before", "headerName": "Before", "hide": True},
                    {"field": "after", "headerName": "After", "hide": True},
                    {"field": "hash", "headerName": "Hash", "hide": True},
                ],
                defaultColDef={"sortable": True, "filter": True, "flex": 1, "resizable": True},
                dashGridOptions={"pagination": True, "paginationPageSize": 50},
                style={"height": "640px"},
                csvExportParams={"fileName": "audit-trail.csv", "allColumns": True},
            ),
        ]
    )


@callback(
    Output(IDS.grid, "rowData"),
    Output(IDS.count, "children"),
    *text_values(IDS.actor, IDS.action, IDS.entity),
    *date_range(IDS.dates),
)
def filter_entries(actor, action, entity, start, end):
    rows = _rows(actor, action, entity, start, end)
    note = f"{len(rows)} {'entry' if len(rows) == 1 else 'entries'}" + (
        f" (the newest {LIMIT})" if len(rows) == LIMIT else ""
    )
    return rows, note


@callback(
    Output(IDS.grid, "exportDataAsCsv"), Input(IDS.export, "n_clicks"), prevent_initial_call=True
)
def export_csv(_clicks):
    return True
