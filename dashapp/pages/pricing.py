"""Pricing (planners and up): own-price elasticity per channel and per product category with
95 % intervals, and per channel the margin-maximising price range under the planner's volume
floor with its expected effect, flagged where the estimate is too uncertain to act on."""

from __future__ import annotations

import logging

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input
from dash import dcc
from dash import html

from analytics.errors import AnalyticsError
from analytics.line_coverage import lines_note
from analytics.pricing.recommend import DEFAULT_MAX_CHANGE
from analytics.pricing.recommend import DEFAULT_VOLUME_FLOOR
from analytics.views.pricing import DEFAULT_HORIZON
from analytics.views.pricing import PricingView
from analytics.views.pricing import build_pricing
from dashapp.access import register_page
from dashapp.components.analysis_frame import AnalysisFrame
from dashapp.components.analysis_frame import flagged
from dashapp.components.analysis_frame import refusal
from dashapp.components.chart_row import chart
from dashapp.components.chart_row import chart_row
from dashapp.components.charts import empty_figure
from dashapp.components.filters import number_input
from dashapp.components.grid import WRAPPED
from dashapp.components.grid import channel_column
from dashapp.components.grid import column
from dashapp.components.grid import data_grid
from dashapp.components.grid import highlighted
from dashapp.components.grid import records
from dashapp.components.heading import page_heading
from dashapp.components.ids import contents
from dashapp.components.ids import figures
from dashapp.components.ids import page_ids
from dashapp.components.ids import rows
from dashapp.components.line_note import lines_alert
from dashapp.components.pricing_charts import elasticity_figure
from dashapp.components.pricing_charts import price_move_figure
from dashapp.pages import PLANNING

log = logging.getLogger(__name__)

PREFIX = "pricing"
register_page(__name__, path="/pricing", title="Pricing", prefix=PREFIX, order=23, **PLANNING)

FRAME = AnalysisFrame(PREFIX, default_preset="last_365", widths=(6, 6), levels=("touchpoint",))
IDS = page_ids(
    PREFIX,
    "floor message warnings channel_chart category_chart move_chart grid category_grid",
)

ESTIMATE_COLUMNS = [
    column("elasticity", "Elasticity", "decimal", minWidth=115),
    column("interval", "95 % interval", sortable=False, minWidth=120),
    column("ci_low", "95 % low", "decimal", hide=True),
    column("ci_high", "95 % high", "decimal", hide=True),
    column("fit", "Method · n", minWidth=120),
    column("method", "Method", hide=True),
    column("n", "n (observations)", "number", hide=True),
]
TEXT_ONLY = ("interval", "range", "fit")  # shown as text; the CSV has their raw numbers
FAILED = "the prices could not be computed for this selection: try another period or floor"
CATEGORY_COLUMNS = [
    column("category", "Product category", pinned="left", minWidth=150),
    *ESTIMATE_COLUMNS,
    column("std_error", "Std. error", "decimal"),
    column("warning", "Warning", minWidth=220, **WRAPPED),
]


def _channel_columns() -> list[dict]:
    """The per-channel grid's columns, amounts in the base currency."""
    return [
        channel_column(120),
        *ESTIMATE_COLUMNS,
        column("action", "Action", minWidth=90),
        column("price", "Price now", "currency_cents", minWidth=100),
        column("unit_cost", "Unit cost", "currency_cents", hide=True),
        column("price_change", "Price change", "percent", minWidth=100),
        column("range", "Price range", sortable=False, minWidth=130),
        column("change_low", "Range low", "percent", hide=True),
        column("change_high", "Range high", "percent", hide=True),
        column("units_change", "Δ units", "signed", minWidth=100),
        column("revenue_change", "Δ revenue", "currency", minWidth=100),
        column("margin_change", "Δ margin", "currency", minWidth=100),
        column("actionable", "Recommended", hide=True),
        column("warning", "Why not", minWidth=180, **WRAPPED),
    ]


def _exported(columns: list[dict]) -> list[str]:
    """The fields a grid's CSV has: every column but those shown as text."""
    return [c["field"] for c in columns if c["field"] not in TEXT_ONLY]


def layout(**query) -> html.Div:
    heading = page_heading(
        "Pricing",
        "How units respond to price: log-log demand models of daily units on the price index "
        "with weekday, season, holiday and promotion controls (OLS; two-stage least squares "
        "where a price instrument is given). For each channel, the price move that "
        "maximises margin while keeping the volume floor, within "
        f"±{DEFAULT_MAX_CHANGE:.0%} of today's price, with its effect over the next "
        f"{DEFAULT_HORIZON} days.",
    )
    floor = dbc.Row(
        dbc.Col(
            number_input(
                IDS.floor,
                "Volume floor: share of today's units to keep (%)",
                value=round(DEFAULT_VOLUME_FLOOR * 100),
            ),
            lg=3,
        ),
        className="mb-2",
    )
    channel_columns = _channel_columns()
    return FRAME.layout(
        query,
        heading,
        floor,
        html.Div(id=IDS.message),
        html.Div(id=IDS.warnings),
        dcc.Loading(
            [
                chart_row((IDS.channel_chart, "elasticity", 6), (IDS.move_chart, "price-moves", 6)),
                data_grid(
                    IDS.grid,
                    channel_columns,
                    "pricing.csv",
                    export_columns=_exported(channel_columns),
                    title=f"Per channel: elasticity and the recommended price "
                    f"(effects over {DEFAULT_HORIZON} days)",
                    getRowStyle=highlighted("!params.data.actionable", {"color": "#6c757d"}),
                ),
                dbc.Row(
                    dbc.Col(
                        chart(IDS.category_chart, "category-elasticity"),
                        lg=8,
                    ),
                    className="g-3 mb-3",
                ),
                data_grid(
                    IDS.category_grid,
                    CATEGORY_COLUMNS,
                    "pricing-categories.csv",
                    export_columns=_exported(CATEGORY_COLUMNS),
                    title="Per product category (all channels pooled)",
                ),
            ],
            type="dot",
        ),
    )


FRAME.register([], [IDS.grid, IDS.category_grid])


def floor_share(value) -> float:
    """The volume floor input (percent) as a share; AnalyticsError saying what is wrong."""
    try:
        percent = float(value)
    except (TypeError, ValueError):
        raise AnalyticsError("enter a volume floor between 1 and 100 %") from None
    if not 1 <= percent <= 100:
        raise AnalyticsError(f"the volume floor must be between 1 and 100 %, not {percent:g} %")
    return percent / 100


def _interval(low, high, fmt: str) -> str | None:
    return None if pd.isna(low) or pd.isna(high) else f"{low:{fmt}} to {high:{fmt}}"


def _estimate_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The estimates with their interval and fit as text (the raw numbers stay for the CSV)."""
    intervals = [
        _interval(lo, hi, ".2f") for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)
    ]
    fits = [f"{m.upper()} · {int(n):,}" for m, n in zip(table["method"], table["n"], strict=True)]
    return table.assign(interval=intervals, fit=fits)


def _action(actionable: bool, change: float) -> str:
    """What the row recommends: a move of the price only where it can be acted on (the other
    rows show the model's move greyed, with why not)."""
    if not actionable:
        return "Hold"
    return "Raise" if change > 0 else "Lower"


def _channel_rows(view: PricingView) -> list[dict]:
    channels = view.channels
    ranges = [
        _interval(lo, hi, "+.0%")
        for lo, hi in zip(channels["change_low"], channels["change_high"], strict=True)
    ]
    actions = [
        _action(bool(a), c)
        for a, c in zip(channels["actionable"], channels["price_change"], strict=True)
    ]
    return records(_estimate_rows(channels).assign(range=ranges, action=actions))


def _warnings(view: PricingView):
    uncertain = view.channels[view.channels["warning"].fillna("") != ""]
    names = [f"{r.channel_name} ({r.warning})" for r in uncertain.itertuples()]
    return flagged("Too uncertain to act on", names, "warning", id=f"{PREFIX}-uncertain")


def _refused(message, note) -> tuple:
    """The page's answer when it has no analysis to show: ``message`` and nothing else (never
    the previous selection's results)."""
    empty = empty_figure("Pricing", "Choose a period and a volume floor")
    return message, note, empty, empty, [], empty, []


@FRAME.callback(
    *contents(IDS.message, IDS.warnings),
    *figures(IDS.channel_chart, IDS.move_chart),
    *rows(IDS.grid),
    *figures(IDS.category_chart),
    *rows(IDS.category_grid),
    more=(Input(IDS.floor, "value"),),
)
def update_pricing(chosen, floor):
    note = None
    try:
        if chosen.problem:
            raise AnalyticsError("choose a start and an end date")
        note = lines_alert(lines_note(chosen.period, "pricing", chosen.filters), PREFIX)
        share = floor_share(floor)
        view = build_pricing(chosen.period, share, filters=chosen.filters)
        if view.message:
            raise AnalyticsError(f"nothing to estimate: {view.message}")
    except AnalyticsError as exc:
        return _refused(refusal(exc), note)
    except Exception:  # noqa: BLE001 — a failed analysis is said, not left as stale results
        log.exception("pricing analysis failed for %s, floor %r", chosen.period, floor)
        return _refused(refusal(FAILED, color="danger", id=f"{PREFIX}-failed"), note)
    return (
        None,
        [_warnings(view), note],
        elasticity_figure(view.channels, "channel_name", "Own-price elasticity per channel"),
        price_move_figure(view.channels, share),
        _channel_rows(view),
        elasticity_figure(view.categories, "category", "Own-price elasticity per product category"),
        records(_estimate_rows(view.categories)),
    )
