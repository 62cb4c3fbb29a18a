"""Inventory (planners and up): demand velocity, days of cover, stock-out date and probability
per product × location, overstock flags, a recommended re-allocation with its expected effect,
"Apply plan" (audited) and CSV export."""

from __future__ import annotations

import datetime as dt

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html

from analytics.allocation import Plan, apply_plan, plan_reallocation
from analytics.errors import AnalyticsError
from dashapp.access import at_least, register_page
from dashapp.auth import current_username
from forecasting.data import stock_positions

PREFIX = "inventory"
register_page(
    __name__,
    path="/inventory",
    title="Inventory",
    prefix=PREFIX,
    roles=at_least("planner"),
    order=21,
)

POSITIONS_GRID = f"{PREFIX}-positions"
PLAN_GRID = f"{PREFIX}-plan"
EFFECT = f"{PREFIX}-effect"
EXPORT = f"{PREFIX}-export"
EXPORT_PLAN = f"{PREFIX}-export-plan"
APPLY = f"{PREFIX}-apply"
MESSAGE = f"{PREFIX}-message"
POSITIONS_STORE = f"{PREFIX}-positions-store"
HORIZON = 28
PLAN_COLUMNS = ["product_id", "sku", "location_id", "location", "on_hand", "mean_h", "sd_h"]


def _position_rows(positions: pd.DataFrame) -> list[dict]:
    rows = []
    for row in positions.to_dict("records"):
        at_risk = row["stockout_probability"] >= 0.5
        flag = "stock-out risk" if at_risk else "overstock" if row["overstock"] else ""
        rows.append(
            {
                "sku": row["sku"],
                "product": row["product"],
                "location": row["location_name"],
                "kind": row["kind"],
                "on_hand": int(row["on_hand"]),
                "on_order": int(row["on_order"]),
                "velocity": round(row["velocity"], 2),
                "days_of_cover": None
                if row["days_of_cover"] == float("inf")
                else round(row["days_of_cover"], 1),
                "stockout_probability": round(100 * row["stockout_probability"], 1),
                "stockout_date": row["stockout_date"].strftime("%Y-%m-%d")
                if pd.notna(row["stockout_date"])
                else "",
                "flag": flag,
            }
        )
    return rows


def _plan(positions: pd.DataFrame, as_of: dt.date) -> Plan:
    return plan_reallocation(positions[PLAN_COLUMNS], HORIZON, as_of)


def _effect_text(plan: Plan) -> str:
    e = plan.effect
    return (
        f"{len(plan.moves)} transfers, {plan.units_moved} units. Expected stock-outs in the next "
        f"{HORIZON} days: {e['expected_stockouts_before']:.1f} → "
        f"{e['expected_stockouts_after']:.1f}; "
        f"expected unmet demand: {e['expected_short_units_before']:.0f} → "
        f"{e['expected_short_units_after']:.0f} units."
    )


def _grid(grid_id: str, rows: list[dict], columns: list[dict], file_name: str) -> dag.AgGrid:
    return dag.AgGrid(
        id=grid_id,
        rowData=rows,
        columnDefs=columns,
        defaultColDef={"flex": 1, "sortable": True, "filter": True, "resizable": True},
        dashGridOptions={"pagination": True, "paginationPageSize": 15, "domLayout": "autoHeight"},
        csvExportParams={"fileName": file_name},
    )


POSITION_COLUMNS = [
    {"field": "sku", "headerName": "SKU"},
    {"field": "product", "headerName": "Product", "minWidth": 180},
    {"field": "location", "headerName": "Location", "minWidth": 180},
    {"field": "kind", "headerName": "Kind"},
    {"field": "on_hand", "headerName": "On hand (units)"},
    {"field": "on_order", "headerName": "On order (units)"},
    {"field": "velocity", "headerName": "Velocity (units/day)"},
    {"field": "days_of_cover", "headerName": "Days of cover"},
    {"field": "stockout_probability", "headerName": f"Stock-out within {HORIZON} d (%)"},
    {"field": "stockout_date", "headerName": "Expected stock-out date"},
    {"field": "flag", "headerName": "Flag"},
]
MOVE_COLUMNS = [
    {"field": "sku", "headerName": "SKU"},
    {"field": "from_location", "headerName": "From"},
    {"field": "to_location", "headerName": "To"},
    {"field": "units", "headerName": "Units"},
]


def layout(**_query) -> html.Div:
    positions = stock_positions(HORIZON)
    if positions.empty:
        return dbc.Alert("No inventory data yet.", color="info", id=f"{PREFIX}-empty")
    as_of = pd.Timestamp(positions["day"].iloc[0]).date()
    plan = _plan(positions, as_of)
    at_risk = int((positions["stockout_probability"] >= 0.5).sum())
    return html.Div(
        [
            html.H2(f"Inventory — stock as of {as_of:%d %b %Y}", className="h4"),
            dcc.Store(
                id=POSITIONS_STORE,
                data={
                    "as_of": as_of.isoformat(),
                    "rows": positions[PLAN_COLUMNS].to_dict("records"),
                },
            ),
            html.P(
                f"{len(positions)} product × location positions; {at_risk} likely to run out "
                f"within {HORIZON} days; {int(positions['overstock'].sum())} overstocked "
                "(more than 90 days of cover).",
                className="text-secondary",
            ),
            dbc.Button("Export CSV", id=EXPORT, size="sm", outline=True, className="mb-2"),
            _grid(
                POSITIONS_GRID, _position_rows(positions), POSITION_COLUMNS, "stock-positions.csv"
            ),
            html.H3("Recommended re-allocation", className="h5 mt-4"),
            dbc.Alert(_effect_text(plan), color="light", id=EFFECT),
            html.Div(id=MESSAGE),
            dbc.ButtonGroup(
                [
                    dbc.Button("Apply plan", id=APPLY, color="primary", disabled=plan.moves.empty),
                    dbc.Button("Export plan CSV", id=EXPORT_PLAN, outline=True),
                ],
                className="mb-2",
            ),
            _grid(PLAN_GRID, plan.moves.to_dict("records"), MOVE_COLUMNS, "reallocation-plan.csv"),
        ]
    )


@callback(
    Output(POSITIONS_GRID, "exportDataAsCsv"), Input(EXPORT, "n_clicks"), prevent_initial_call=True
)
def export_positions(_clicks):
    return True


@callback(
    Output(PLAN_GRID, "exportDataAsCsv"), Input(EXPORT_PLAN, "n_clicks"), prevent_initial_call=True
)
def export_plan(_clicks):
    return True


@callback(
    Output(MESSAGE, "children"),
    Output(APPLY, "disabled"),
    Input(APPLY, "n_clicks"),
    State(POSITIONS_STORE, "data"),
    prevent_initial_call=True,
)
def apply(_clicks, stored):
    plan = _plan(pd.DataFrame(stored["rows"]), dt.date.fromisoformat(stored["as_of"]))
    try:
        plan_id = apply_plan(plan, current_username())
    except AnalyticsError as exc:
        return dbc.Alert(str(exc), color="danger", dismissable=True), False
    return (
        dbc.Alert(
            f"Plan {plan_id} applied and recorded in the audit log.",
            color="success",
            dismissable=True,
        ),
        True,
    )
