"""Admin › Channel rules (admins only): the touchpoint rules, add / change / disable, remap."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, html

from dashapp.access import register_page
from dashapp.auth import current_actor
from dashapp.pages import ADMIN
from db.errors import CommandError
from ingestion.mapping import OPERATORS
from ingestion.remap import remap
from ingestion.rules import (
    add_rule,
    edit_rule,
    list_rules,
    set_rule_active,
    touchpoint_codes,
)

PREFIX = "admin-rules"
register_page(
    __name__, path="/admin/rules", title="Channel rules", prefix=PREFIX, order=94, **ADMIN
)

GRID = f"{PREFIX}-grid"
VERSION = f"{PREFIX}-version"
MESSAGE = f"{PREFIX}-message"
PRIORITY = f"{PREFIX}-priority"
SOURCE = f"{PREFIX}-source"
FIELD = f"{PREFIX}-field"
OPERATOR = f"{PREFIX}-operator"
VALUE = f"{PREFIX}-value"
TOUCHPOINT = f"{PREFIX}-touchpoint"
ADD = f"{PREFIX}-add"
TARGET = f"{PREFIX}-target"
SAVE = f"{PREFIX}-save"
DISABLE = f"{PREFIX}-disable"
ENABLE = f"{PREFIX}-enable"
REMAP = f"{PREFIX}-remap"

COLUMNS = [
    {"field": "id", "headerName": "Id", "maxWidth": 80},
    {"field": "priority", "headerName": "Priority", "maxWidth": 110},
    {"field": "source", "headerName": "Source system"},
    {"field": "field", "headerName": "Field"},
    {"field": "operator", "headerName": "Operator"},
    {"field": "value", "headerName": "Value"},
    {"field": "touchpoint", "headerName": "Touchpoint"},
    {"field": "status", "headerName": "Status"},
    {"field": "version", "headerName": "Version", "maxWidth": 110},
]


def _rows() -> list[dict]:
    return [
        {
            "id": r.id,
            "priority": r.priority,
            "source": r.source_system or "any",
            "field": r.field,
            "operator": r.operator,
            "value": r.value,
            "touchpoint": r.touchpoint,
            "status": "active" if r.active else "disabled",
            "version": r.version,
        }
        for r in list_rules()
    ]


def _version(rows: list[dict]) -> str:
    version = max((r["version"] for r in rows), default=0)
    return (
        f"Rule set version {version}. The first active rule by priority that matches an "
        "order's raw touchpoint fields assigns its touchpoint; no match is Unassigned. "
        "Changes apply to new orders; “Remap past orders” applies them to history."
    )


def _rule_options(rows: list[dict]) -> list[dict]:
    return [
        {
            "label": f"#{r['id']} · {r['priority']} · {r['source']} {r['field']} "
            f"{r['operator']} {r['value']} → {r['touchpoint']}",
            "value": r["id"],
        }
        for r in rows
    ]


def _form_row(label: str, control) -> dbc.Row:
    return dbc.Row([dbc.Label(label, width=4), dbc.Col(control, width=8)], className="mb-2")


def layout(**_query) -> html.Div:
    rows = _rows()
    touchpoints = [{"label": c, "value": c} for c in touchpoint_codes()]
    operators = [{"label": o, "value": o} for o in sorted(OPERATORS)]
    return html.Div(
        [
            html.H2("Channel rules", className="h4"),
            html.P(_version(rows), id=VERSION, className="text-secondary small"),
            html.Div(id=MESSAGE),
            dag.AgGrid(
                id=GRID,
                rowData=rows,
                columnDefs=COLUMNS,
                defaultColDef={"sortable": True, "filter": True, "flex": 1},
                dashGridOptions={"domLayout": "autoHeight"},
            ),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody(
                                [
                                    html.H3("Rule", className="h6"),
                                    _form_row("Priority", dbc.Input(id=PRIORITY, type="number")),
                                    _form_row(
                                        "Source system",
                                        dbc.Input(
                                            id=SOURCE, placeholder="e.g. shopify (empty: any)"
                                        ),
                                    ),
                                    _form_row(
                                        "Field", dbc.Input(id=FIELD, placeholder="e.g. source_name")
                                    ),
                                    _form_row(
                                        "Operator",
                                        dbc.Select(
                                            id=OPERATOR, options=operators, placeholder="equals"
                                        ),
                                    ),
                                    _form_row("Value", dbc.Input(id=VALUE, placeholder="e.g. pos")),
                                    _form_row(
                                        "Touchpoint",
                                        dbc.Select(id=TOUCHPOINT, options=touchpoints),
                                    ),
                                    dbc.Button("Add rule", id=ADD, color="primary"),
                                ]
                            )
                        ),
                        md=6,
                    ),
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody(
                                [
                                    html.H3("Change a rule", className="h6"),
                                    html.P(
                                        "Save applies the filled-in fields of the form on "
                                        "the left to the chosen rule.",
                                        className="small text-secondary",
                                    ),
                                    dbc.Select(
                                        id=TARGET, options=_rule_options(rows), className="mb-2"
                                    ),
                                    dbc.ButtonGroup(
                                        [
                                            dbc.Button("Save changes", id=SAVE, color="primary"),
                                            dbc.Button(
                                                "Disable", id=DISABLE, color="danger", outline=True
                                            ),
                                            dbc.Button(
                                                "Enable", id=ENABLE, color="success", outline=True
                                            ),
                                        ]
                                    ),
                                    html.Hr(),
                                    html.H3("Apply to history", className="h6"),
                                    dbc.Button("Remap past orders", id=REMAP, color="warning"),
                                ]
                            )
                        ),
                        md=6,
                    ),
                ],
                className="mt-3 g-3",
            ),
        ]
    )


def _change(trigger, priority, source, field, operator, value, touchpoint, target) -> str:
    actor = current_actor()
    if trigger == ADD:
        operator = operator or "equals"
        rule = add_rule(priority, source, field, operator, value, touchpoint, actor=actor)
        return f"Added rule #{rule.id}; rule set version {rule.version}."
    if trigger == REMAP:
        result = remap(actor=actor)
        return (
            f"Remapped with rule set version {result.version}: {result.orders_moved:,} orders "
            f"moved, {len(result.days):,} days of rollups rebuilt."
        )
    if not target:
        raise CommandError("choose a rule first")
    if trigger == SAVE:
        rule = edit_rule(
            int(target),
            actor,
            priority=priority if priority not in (None, "") else None,
            source_system=source,
            field=field or None,
            operator=operator,
            value=value if value not in (None, "") else None,
            touchpoint=touchpoint or None,
        )
        return f"Rule #{rule.id} saved; rule set version {rule.version}."
    rule = set_rule_active(int(target), trigger == ENABLE, actor=actor)
    state = "enabled" if rule.active else "disabled"
    return f"Rule #{rule.id} {state}; rule set version {rule.version}."


@callback(
    Output(MESSAGE, "children"),
    Output(GRID, "rowData"),
    Output(TARGET, "options"),
    Output(VERSION, "children"),
    Input(ADD, "n_clicks"),
    Input(SAVE, "n_clicks"),
    Input(DISABLE, "n_clicks"),
    Input(ENABLE, "n_clicks"),
    Input(REMAP, "n_clicks"),
    State(PRIORITY, "value"),
    State(SOURCE, "value"),
    State(FIELD, "value"),
    State(OPERATOR, "value"),
    State(VALUE, "value"),
    State(TOUCHPOINT, "value"),
    State(TARGET, "value"),
    prevent_initial_call=True,
)
def change_rules(_a, _s, _d, _e, _r, priority, source, field, operator, value, touchpoint, target):
    try:
        done = _change(
            ctx.triggered_id, priority, source, field, operator, value, touchpoint, target
        )
    except CommandError as exc:
        message = dbc.Alert(str(exc), color="danger", dismissable=True)
    else:
        message = dbc.Alert(done, color="success", dismissable=True)
    rows = _rows()
    return message, rows, _rule_options(rows), _version(rows)
