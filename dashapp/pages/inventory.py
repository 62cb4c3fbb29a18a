"""Inventory (planners and up): demand velocity, days of cover, stock-out date and probability
per product × location, overstock flags, a recommended re-allocation with its expected effect,
"Apply plan" (audited; once per stock day, after which the page shows the applied plan) and CSV
export."""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import Input
from dash import Output
from dash import State
from dash import callback
from dash import dcc
from dash import html

from analytics.allocation import AppliedPlan
from analytics.allocation import Plan
from analytics.allocation import applied_plan
from analytics.allocation import apply_plan
from analytics.allocation import plan_reallocation
from analytics.allocation import require_to_apply
from analytics.errors import AnalyticsError
from analytics.line_coverage import lines_note
from analytics.periods import Period
from dashapp.access import register_page
from dashapp.auth import current_actor
from dashapp.callback_values import date_text
from dashapp.callback_values import declare_store
from dashapp.components.alert_detail import local_time
from dashapp.components.grid import column
from dashapp.components.grid import data_grid
from dashapp.components.grid import records
from dashapp.components.grid import register_csv_export
from dashapp.components.ids import page_ids
from dashapp.components.line_note import lines_alert
from dashapp.components.status import status_alert
from dashapp.pages import PLANNING
from db.roles import PermissionDenied
from forecasting.stock_data import stock_positions

PREFIX = "inventory"
register_page(__name__, path="/inventory", title="Inventory", prefix=PREFIX, order=21, **PLANNING)

IDS = page_ids(PREFIX, "positions plan effect applied apply message positions_store")


def _shown_plan(value) -> bool:
    """The positions store: the stock day whose plan the page shows."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("as_of"), str)
        and date_text(value["as_of"])
    )


declare_store(IDS.positions_store, _shown_plan)
HORIZON = 28
PLAN_COLUMNS = ["product_id", "sku", "location_id", "location", "on_hand", "mean_h", "sd_h"]
PAGED = {"dashGridOptions": {"pagination": True, "paginationPageSize": 20}}

POSITION_COLUMNS = [
    column("sku", "SKU", pinned="left", minWidth=100, maxWidth=120),
    column("product", "Product", minWidth=150),
    column("location", "Location", minWidth=170),
    column("kind", "Kind"),
    column("on_hand", "On hand (units)", "number"),
    column("on_order", "On order (units)", "number"),
    column("velocity", "Sold per day (units)", "decimal"),
    column("days_of_cover", "Days of cover", "decimal"),
    column("stockout_probability", f"Stock-out risk within {HORIZON} days", "percent"),
    column("stockout_date", "Expected stock-out date", minWidth=130),
    column("flag", "Flag", minWidth=130),
]
MOVE_COLUMNS = [
    column("sku", "SKU"),
    column("product", "Product", minWidth=180),
    column("from_location", "From", minWidth=200),
    column("to_location", "To", minWidth=200),
    column("units", "Units", "number"),
]


def _position_rows(positions: pd.DataFrame) -> list[dict]:
    """One row per product × location, the likeliest stock-outs first, then the least cover."""
    frame = positions.assign(
        flag=np.where(
            positions["stockout_probability"] >= 0.5,
            "stock-out risk",
            np.where(positions["overstock"], "overstock", ""),
        ),
        # No sales in the window: cover is unbounded, shown as "—".
        days_of_cover=positions["days_of_cover"].replace(np.inf, np.nan),
        stockout_date=pd.to_datetime(positions["stockout_date"]).dt.strftime("%Y-%m-%d"),
    ).sort_values(["stockout_probability", "days_of_cover"], ascending=[False, True])
    frame = frame.drop(columns="location").rename(columns={"location_name": "location"})
    return records(frame[[c["field"] for c in POSITION_COLUMNS]].fillna({"stockout_date": ""}))


def _move_rows(plan: Plan | AppliedPlan, positions: pd.DataFrame) -> list[dict]:
    """The plan's transfers with product and location names."""
    names = dict(zip(positions["location_id"], positions["location_name"], strict=False))
    products = dict(zip(positions["product_id"], positions["product"], strict=False))
    moves = plan.moves.assign(
        product=plan.moves["product_id"].map(products),
        from_location=plan.moves["from_location_id"].map(names),
        to_location=plan.moves["to_location_id"].map(names),
    )
    return records(moves[[c["field"] for c in MOVE_COLUMNS]])


def _plan(positions: pd.DataFrame, as_of: dt.date) -> Plan:
    return plan_reallocation(positions[PLAN_COLUMNS], HORIZON, as_of)


def _effect_text(plan: Plan | AppliedPlan) -> str:
    e = plan.effect
    return (
        f"{len(plan.moves)} transfers, {plan.units_moved} units. Expected stock-outs in the next "
        f"{HORIZON} days: {e['expected_stockouts_before']:.1f} → "
        f"{e['expected_stockouts_after']:.1f}; "
        f"expected unmet demand: {e['expected_short_units_before']:.0f} → "
        f"{e['expected_short_units_after']:.0f} units."
    )


def _applied_note(applied: AppliedPlan | None) -> dbc.Alert | None:
    """Who applied this stock day's plan and when: Apply waits for new stock counts."""
    if applied is None:
        return None
    return dbc.Alert(
        f"Plan {applied.id} was applied for this stock day by {applied.created_by} on "
        f"{local_time(applied.created_at)}. A new plan can be applied when new stock counts "
        "arrive.",
        color="info",
        id=IDS.applied,
    )


def layout(**_query) -> html.Div:
    positions = stock_positions(HORIZON)
    if positions.empty:
        return dbc.Alert(
            "No stock positions yet: stock levels are loaded as a file of kind 'inventory' "
            "(Upload data, or `channelperf ingest file`), beside the orders that give demand.",
            color="info",
            id=f"{PREFIX}-empty",
        )
    as_of = pd.Timestamp(positions["day"].iloc[0]).date()
    applied = applied_plan(as_of)
    plan = applied or _plan(positions, as_of)
    at_risk = int((positions["stockout_probability"] >= 0.5).sum())
    return html.Div(
        [
            html.H2(f"Inventory — stock as of {as_of:%d %b %Y}", className="h4"),
            dcc.Store(id=IDS.positions_store, data={"as_of": as_of.isoformat()}),
            lines_alert(
                lines_note(Period(as_of - dt.timedelta(days=89), as_of), "sales velocity"),
                PREFIX,
            ),
            html.P(
                f"{len(positions)} product × location positions; {at_risk} likely to run out "
                f"within {HORIZON} days; {int(positions['overstock'].sum())} overstocked "
                "(more than 90 days of cover).",
                className="text-secondary",
            ),
            data_grid(
                IDS.positions,
                POSITION_COLUMNS,
                "stock-positions.csv",
                title="Stock positions, likeliest stock-outs first",
                row_data=_position_rows(positions),
                **PAGED,
            ),
            html.H3(
                "Applied re-allocation" if applied else "Recommended re-allocation",
                className="h5 mt-4",
            ),
            _applied_note(applied),
            dbc.Alert(_effect_text(plan), color="light", id=IDS.effect),
            html.Div(id=IDS.message),
            dbc.Button(
                "Apply plan",
                id=IDS.apply,
                color="primary",
                disabled=applied is not None or plan.moves.empty,
                className="mb-2",
            ),
            data_grid(
                IDS.plan,
                MOVE_COLUMNS,
                "reallocation-plan.csv",
                title="Transfers",
                row_data=_move_rows(plan, positions),
                **PAGED,
            ),
        ]
    )


register_csv_export(IDS.positions)
register_csv_export(IDS.plan)


@callback(
    Output(IDS.message, "children"),
    Output(IDS.apply, "disabled"),
    Input(IDS.apply, "n_clicks"),
    State(IDS.positions_store, "data"),
    prevent_initial_call=True,
)
def apply(_clicks, stored):
    """Applies the plan the server computes from today's stock, never rows the browser sends;
    refused when the stock changed since the page showed its plan."""
    try:
        actor = current_actor()
        require_to_apply(actor)  # before reading stock: a refused role learns nothing more
        positions = stock_positions(HORIZON)
        if positions.empty:
            raise AnalyticsError("there is no stock to re-allocate")
        as_of = pd.Timestamp(positions["day"].iloc[0]).date()
        shown = stored.get("as_of") if isinstance(stored, dict) else None
        if shown != as_of.isoformat():
            raise AnalyticsError(
                "the stock changed since this page showed its plan: reload it to see the new one"
            )
        plan_id = apply_plan(_plan(positions, as_of), actor)
    except (AnalyticsError, PermissionDenied) as exc:
        return status_alert(str(exc), ok=False), False
    return (
        status_alert(f"Plan {plan_id} applied and recorded in the audit log."),
        True,
    )
