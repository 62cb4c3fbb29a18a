"""Targets & variance (all roles): actual vs target with RAG status and why revenue missed.

Setting targets is on Admin › Targets (admins only).
"""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, dcc, html

from analytics.channels import CHANNEL_LEVELS, LEVEL_LABELS, level_labels
from analytics.decomposition import EFFECTS
from analytics.metrics import METRICS, format_value
from analytics.periods import Period
from analytics.rollup import data_range
from analytics.targets import TARGET_METRICS
from analytics.views.targets import revenue_variance_effects, variance_table
from dashapp.access import ROLE_ORDER, register_page
from dashapp.auth import current_role
from dashapp.components import drilldown, url_state
from dashapp.components.charts import axis, empty_figure, figure, reference_line
from dashapp.components.filters import channel_filter
from dashapp.components.grid import column, data_grid, png_config, records, register_csv_export
from db.settings import get_settings

PREFIX = "targets"
register_page(
    __name__,
    path="/targets",
    title="Targets & variance",
    prefix=PREFIX,
    roles=ROLE_ORDER,
    order=30,
)

CHANNELS = f"{PREFIX}-channels"
DATES = f"{PREFIX}-dates"
PRESET = f"{PREFIX}-preset"
DRILL = drilldown.store_id(PREFIX)
BREADCRUMB = f"{PREFIX}-breadcrumb"
VARIANCE_CHART = f"{PREFIX}-variance-chart"
EFFECTS_CHART = f"{PREFIX}-effects-chart"
GRID = f"{PREFIX}-grid"
EFFECTS_GRID = f"{PREFIX}-effects-grid"
FLAGS = f"{PREFIX}-flags"
TOTAL = f"{PREFIX}-total"
URL_SINK = url_state.sink_id(PREFIX)

RAG_COLORS = {"green": "#198754", "amber": "#ffc107", "red": "#dc3545", "none": "#adb5bd"}
RAG_LABELS = {
    "green": "● on target",
    "amber": "● close",
    "red": "● off target",
    "none": "no target",
}
EFFECT_LABELS = {
    "traffic_effect": "Traffic",
    "conversion_effect": "Conversion",
    "aov_effect": "Average order value",
}


def _drill_steps(codes: list[str]) -> list[dict]:
    return [
        {"code": code, "name": level_labels(level, [code])[code]}
        for level, code in zip(CHANNEL_LEVELS, codes, strict=False)
    ]


def layout(**query) -> html.Div:
    bounds = data_range()
    if bounds is None:
        return dbc.Alert("No data yet: load orders first.", color="info", id=f"{PREFIX}-empty")
    first, last = bounds
    view = url_state.read_view(query, first, last, "last_quarter")
    admin_link = (
        dcc.Link(
            "Set targets or import a CSV (Admin › Targets)",
            href="/admin/targets",
            className="small",
        )
        if current_role() == "admin"
        else html.Span("Targets are set by admins.", className="small text-secondary")
    )
    return html.Div(
        [
            html.Div(
                [html.H2("Targets & variance", className="h4 mb-0"), admin_link],
                className="d-flex justify-content-between align-items-baseline mb-2",
            ),
            url_state.bounds_store(PREFIX, first, last),
            dcc.Store(id=DRILL, data=_drill_steps(view.drill)),
            dcc.Store(id=URL_SINK),
            dbc.Row(
                [
                    dbc.Col(url_state.controls(PREFIX, first, last, view), lg=7),
                    dbc.Col(
                        channel_filter(CHANNELS, view.channels),
                        lg=5,
                    ),
                ],
                className="mb-2 g-3 align-items-end",
            ),
            html.Div(id=BREADCRUMB),
            html.Div(id=FLAGS, className="mb-2"),
            dcc.Loading(
                dbc.Row(
                    [
                        dbc.Col(
                            dcc.Graph(id=VARIANCE_CHART, config=png_config("revenue-vs-target")),
                            lg=6,
                        ),
                        dbc.Col(
                            dcc.Graph(
                                id=EFFECTS_CHART, config=png_config("revenue-variance-drivers")
                            ),
                            lg=6,
                        ),
                    ],
                    className="g-3 mb-3",
                ),
                type="dot",
            ),
            data_grid(
                GRID,
                [
                    column("channel_name", "Channel", pinned="left", minWidth=150),
                    column("metric_label", "Metric", minWidth=180),
                    column("actual_text", "Actual", sortable=False, type="rightAligned"),
                    column("target_text", "Target", sortable=False, type="rightAligned"),
                    column("variance_text", "Variance", sortable=False, type="rightAligned"),
                    column("variance_pct", "Variance (%)", "pct_points"),
                    column(
                        "status_text",
                        "Status",
                        cellStyle={
                            "styleConditions": [
                                {
                                    "condition": f"params.data.status == '{k}'",
                                    "style": {"color": v, "fontWeight": 600},
                                }
                                for k, v in RAG_COLORS.items()
                            ]
                        },
                    ),
                    column("actual", "Actual (raw)", "decimal", hide=True),
                    column("target", "Target (raw)", "decimal", hide=True),
                    column("variance", "Variance (raw)", "decimal", hide=True),
                ],
                "targets-variance.csv",
                export_columns=[
                    "channel_name",
                    "metric_label",
                    "actual",
                    "target",
                    "variance",
                    "variance_pct",
                    "status",
                ],
                title="Actual vs target (green: on or above target · amber: up to 5 % short · "
                "red: more; margin: red below its threshold)",
            ),
            data_grid(
                EFFECTS_GRID,
                [
                    column("channel_name", "Channel", pinned="left", minWidth=150),
                    column("revenue_target", "Revenue target", "currency"),
                    column("revenue_actual", "Revenue actual", "currency"),
                    column("variance", "Variance", "currency"),
                    column("traffic_effect", "Traffic effect", "currency"),
                    column("conversion_effect", "Conversion effect", "currency"),
                    column("aov_effect", "AOV effect", "currency"),
                ],
                "revenue-variance-drivers.csv",
                title="Revenue variance split into traffic, conversion and AOV effects "
                "(LMDI: they add up to the variance)",
            ),
            html.Div(id=TOTAL, className="small text-secondary"),
        ]
    )


url_state.register_period_sync(PREFIX)
drilldown.register_drilldown(PREFIX, [VARIANCE_CHART, EFFECTS_CHART])
register_csv_export(GRID)
register_csv_export(EFFECTS_GRID)
url_state.register_url_sync(
    PREFIX,
    [
        (PRESET, "value", "preset"),
        (DATES, "start_date", "start"),
        (DATES, "end_date", "end"),
        (CHANNELS, "value", "channels"),
        (DRILL, "data", "drill"),
    ],
)


def variance_figure(table: pd.DataFrame, level_label: str, currency: str) -> dict:
    title = f"Revenue: actual vs target by {level_label.lower()}"
    rows = table[(table["metric"] == "revenue") & (table["channel"] != "total")]
    if rows.empty:
        return empty_figure(title)
    custom = rows[["channel", "channel_name"]].to_numpy()
    actual = {
        "type": "bar",
        "x": rows["channel_name"],
        "y": rows["actual"],
        "name": "Actual",
        "marker": {"color": [RAG_COLORS[s] for s in rows["status"]]},
        "customdata": custom,
        "hovertemplate": "%{x}<br>actual %{y:,.0f} " + currency + "<extra></extra>",
    }
    target = {
        "type": "scatter",
        "x": rows["channel_name"],
        "y": rows["target"],
        "name": "Target",
        "mode": "markers",
        "marker": {
            "symbol": "line-ew-open",
            "size": 40,
            "color": "#212529",
            "line": {"width": 3, "color": "#212529"},
        },
        "customdata": custom,
        "hovertemplate": "%{x}<br>target %{y:,.0f} " + currency + "<extra></extra>",
    }
    return figure(
        title,
        [actual, target],
        xaxis=axis(level_label),
        yaxis=axis(f"Revenue ({currency})", tickformat="~s"),
    )


def effects_figure(effects: pd.DataFrame, currency: str) -> dict:
    title = "Why revenue is off target: traffic, conversion and AOV effects"
    rows = effects[effects["status"] != "total"] if not effects.empty else effects
    if rows.empty:
        return empty_figure(title, "No channel here has revenue, conversion and AOV targets")
    bars = [
        {
            "type": "bar",
            "x": rows["channel_name"],
            "y": rows[effect],
            "name": EFFECT_LABELS[effect],
            "marker": {"color": color},
            "customdata": rows[["channel", "channel_name"]].to_numpy(),
            "hovertemplate": "%{x}<br>%{y:+,.0f} "
            + currency
            + "<extra>"
            + EFFECT_LABELS[effect]
            + "</extra>",
        }
        for effect, color in zip(EFFECTS, ("#0d6efd", "#6f42c1", "#fd7e14"), strict=True)
    ]
    variance = {
        "type": "scatter",
        "x": rows["channel_name"],
        "y": rows["variance"],
        "mode": "markers",
        "name": "Variance to target",
        "marker": {"symbol": "diamond", "size": 11, "color": "#212529"},
        "hovertemplate": "%{x}<br>variance %{y:+,.0f} " + currency + "<extra></extra>",
    }
    return figure(
        title,
        [*bars, variance],
        barmode="relative",
        xaxis=axis("Channel"),
        yaxis=axis(f"Effect on revenue vs target ({currency})", tickformat="~s"),
        shapes=[reference_line(0, color="#6c757d")],
    )


def _variance_text(value: float, unit: str, currency: str) -> str:
    """Signed variance: money and counts as amounts, rates in percentage points."""
    if pd.isna(value):
        return "—"
    if unit == "percent":
        return f"{value * 100:+.1f} pp"
    sign = "+" if value >= 0 else ""
    return sign + format_value(value, unit, currency)


def grid_rows(table: pd.DataFrame, currency: str) -> list[dict]:
    table = table.copy()

    def text(values, units):
        return [format_value(v, u, currency) for v, u in zip(values, units, strict=True)]

    units = table["metric"].map(lambda m: METRICS[m].unit)
    table["actual_text"] = text(table["actual"], units)
    table["target_text"] = text(table["target"], units)
    table["variance_text"] = [
        _variance_text(v, u, currency) for v, u in zip(table["variance"], units, strict=True)
    ]
    table["status_text"] = table["status"].map(RAG_LABELS)
    return records(table)


def _flags(table: pd.DataFrame) -> html.Div:
    below = table[table["below_threshold"] & (table["channel"] != "total")]
    red = table[(table["status"] == "red") & (table["metric"] == "revenue")]
    items = []
    if not below.empty:
        items.append(
            dbc.Alert(
                "Margin below threshold: " + ", ".join(below["channel_name"].astype(str)),
                color="danger",
                className="py-2 mb-2",
                id=f"{PREFIX}-margin-flag",
            )
        )
    if not red.empty:
        items.append(
            dbc.Alert(
                "Revenue more than 5 % below target: " + ", ".join(red["channel_name"].astype(str)),
                color="warning",
                className="py-2 mb-2",
            )
        )
    return html.Div(items)


@callback(
    Output(BREADCRUMB, "children"),
    Output(FLAGS, "children"),
    Output(VARIANCE_CHART, "figure"),
    Output(EFFECTS_CHART, "figure"),
    Output(GRID, "rowData"),
    Output(EFFECTS_GRID, "rowData"),
    Output(TOTAL, "children"),
    Input(DATES, "start_date"),
    Input(DATES, "end_date"),
    Input(CHANNELS, "value"),
    Input(DRILL, "data"),
)
def update_targets(start, end, channels, path):
    crumbs = drilldown.breadcrumb(PREFIX, path)
    if not start or not end:
        empty = empty_figure("Choose a period")
        return (
            crumbs,
            dbc.Alert("Choose a start and an end date.", color="warning"),
            empty,
            empty,
            [],
            [],
            "",
        )
    period = Period(dt.date.fromisoformat(start[:10]), dt.date.fromisoformat(end[:10]))
    level = drilldown.level_of(path)
    level_label = LEVEL_LABELS[level]
    filters = drilldown.drill_filters(path, channels)
    currency = get_settings().base_currency
    table = variance_table(period, level, filters, TARGET_METRICS)
    effects = revenue_variance_effects(period, level, filters)
    revenue = table.loc[(table["metric"] == "revenue") & (table["channel"] == "total"), "actual"]
    total = float(revenue.iloc[0]) if len(revenue) else 0.0
    return (
        crumbs,
        _flags(table),
        variance_figure(table, level_label, currency),
        effects_figure(effects, currency),
        grid_rows(table, currency),
        records(effects),
        html.Span(
            f"Revenue in view: {format_value(total, 'currency', currency)} · "
            f"{period.start:%d %b %Y} – {period.end:%d %b %Y}",
            id=f"{PREFIX}-total-revenue",
            **{"data-value": f"{total:.2f}"},
        ),
    )
