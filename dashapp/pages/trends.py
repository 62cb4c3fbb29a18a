"""Trends (all roles): which channels are rising or declining, backed by a trend test."""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from analytics.channels import CHANNEL_LEVELS, LEVEL_LABELS, level_labels
from analytics.metrics import METRICS, format_value
from analytics.periods import Period
from analytics.rollup import data_range
from analytics.views.trends import TREND_METRICS, TrendsView, build_trends
from dashapp.access import ROLE_ORDER, register_page
from dashapp.components import drilldown, url_state
from dashapp.components.charts import axis, empty_figure, figure
from dashapp.components.filters import channel_filter
from dashapp.components.grid import (
    column,
    data_grid,
    png_config,
    records,
    register_csv_export,
    sparkline_svg,
)
from db.settings import get_settings

PREFIX = "trends"
register_page(__name__, path="/trends", title="Trends", prefix=PREFIX, roles=ROLE_ORDER, order=10)

CHANNELS = f"{PREFIX}-channels"
METRIC = f"{PREFIX}-metric"
DATES = f"{PREFIX}-dates"
PRESET = f"{PREFIX}-preset"
DRILL = drilldown.store_id(PREFIX)
BREADCRUMB = f"{PREFIX}-breadcrumb"
STRENGTH_CHART = f"{PREFIX}-strength-chart"
WEEKLY_CHART = f"{PREFIX}-weekly-chart"
GRID = f"{PREFIX}-grid"
SUMMARY = f"{PREFIX}-summary"
TOTAL = f"{PREFIX}-total"
URL_SINK = url_state.sink_id(PREFIX)

DIRECTION_COLORS = {
    "rising": "#198754",
    "declining": "#dc3545",
    "flat": "#adb5bd",
    "sparse": "#dee2e6",
}
DIRECTION_LABELS = {
    "rising": "▲ rising",
    "declining": "▼ declining",
    "flat": "– flat",
    "sparse": "too sparse",
}
METRIC_OPTIONS = {"metric": TREND_METRICS}


def _no_data() -> dbc.Alert:
    return dbc.Alert("No data yet: load orders first.", color="info", id=f"{PREFIX}-empty")


def _drill_steps(codes: list[str]) -> list[dict]:
    steps = []
    for level, code in zip(CHANNEL_LEVELS, codes, strict=False):
        steps.append({"code": code, "name": level_labels(level, [code])[code]})
    return steps


def layout(**query) -> html.Div:
    bounds = data_range()
    if bounds is None:
        return _no_data()
    first, last = bounds
    view = url_state.read_view(query, first, last, "last_365", METRIC_OPTIONS)
    return html.Div(
        [
            html.H2("Trends", className="h4"),
            html.P(
                "Rising or declining performance per channel: a Mann–Kendall test on the "
                "seasonally adjusted daily series (p < 0.05), with the Theil–Sen size of the "
                "trend, month-on-month and year-on-year changes and the last 26 weeks.",
                className="text-secondary small",
            ),
            url_state.bounds_store(PREFIX, first, last),
            dcc.Store(id=DRILL, data=_drill_steps(view.drill)),
            dcc.Store(id=URL_SINK),
            dbc.Row(
                [
                    dbc.Col(url_state.controls(PREFIX, first, last, view), lg=6),
                    dbc.Col(
                        channel_filter(CHANNELS, view.channels),
                        lg=4,
                    ),
                    dbc.Col(
                        [
                            dbc.Label(
                                "Chart metric",
                                html_for=METRIC,
                                className="small text-secondary mb-0",
                            ),
                            dcc.Dropdown(
                                id=METRIC,
                                options=[
                                    {"label": METRICS[m].label, "value": m} for m in TREND_METRICS
                                ],
                                value=view.options["metric"],
                                clearable=False,
                            ),
                        ],
                        lg=2,
                    ),
                ],
                className="mb-2 g-3 align-items-end",
            ),
            html.Div(id=BREADCRUMB),
            html.Div(id=SUMMARY, className="mb-2"),
            dcc.Loading(
                dbc.Row(
                    [
                        dbc.Col(
                            dcc.Graph(id=STRENGTH_CHART, config=png_config("trend-strength")), lg=5
                        ),
                        dbc.Col(
                            dcc.Graph(id=WEEKLY_CHART, config=png_config("weekly-trend")), lg=7
                        ),
                    ],
                    className="g-3",
                ),
                type="dot",
            ),
            data_grid(
                GRID,
                [
                    column("channel_name", "Channel", pinned="left", minWidth=150),
                    column("metric_label", "Metric", minWidth=180),
                    column("value_text", "Period value", sortable=False, type="rightAligned"),
                    column("value", "Period value (raw)", "decimal", hide=True),
                    column("call", "Trend call", minWidth=120),
                    column("p_value", "p-value", "pvalue"),
                    column("relative_slope", "Trend over period (%)", "pct_points"),
                    column("mom", "MoM (%)", "pct_points"),
                    column("yoy", "YoY (%)", "pct_points"),
                    column(
                        "sparkline_svg",
                        "Last 26 weeks",
                        cellRenderer="markdown",
                        sortable=False,
                        filter=False,
                        minWidth=140,
                    ),
                    column("strength", "Strength (±−log₁₀ p)", "decimal"),
                    column("grain", "Tested on", hide=True),
                ],
                "trends.csv",
                export_columns=[
                    "channel_name",
                    "metric_label",
                    "value",
                    "call",
                    "p_value",
                    "relative_slope",
                    "mom",
                    "yoy",
                    "strength",
                    "grain",
                ],
                title="Trend calls, strongest rise first",
                dangerously_allow_code=True,
            ),
            html.Div(id=TOTAL, className="small text-secondary"),
        ]
    )


url_state.register_period_sync(PREFIX)
drilldown.register_drilldown(PREFIX, [STRENGTH_CHART, WEEKLY_CHART])
register_csv_export(GRID)
url_state.register_url_sync(
    PREFIX,
    [
        (PRESET, "value", "preset"),
        (DATES, "start_date", "start"),
        (DATES, "end_date", "end"),
        (CHANNELS, "value", "channels"),
        (DRILL, "data", "drill"),
        (METRIC, "value", "metric"),
    ],
)


def strength_figure(view: TrendsView, metric: str, level_label: str) -> dict:
    label = METRICS[metric].label
    title = f"{label}: trend over the period by {level_label.lower()}"
    rows = view.table[view.table["metric"] == metric].sort_values("relative_slope")
    if rows.empty:
        return empty_figure(title)
    bar = {
        "type": "bar",
        "x": rows["relative_slope"],
        "y": rows["channel_name"],
        "orientation": "h",
        "marker": {"color": [DIRECTION_COLORS[d] for d in rows["direction"]]},
        "customdata": rows[["channel", "channel_name", "direction", "p_value"]].to_numpy(),
        "hovertemplate": "%{y}<br>%{x:+.1f}% of the mean level over the period"
        "<br>%{customdata[2]} (p = %{customdata[3]:.3g})<extra></extra>",
    }
    legend_note = {
        "text": "green: rising · red: declining · grey: no significant trend",
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 1.06,
        "showarrow": False,
        "font": {"size": 11, "color": "#6c757d"},
    }
    return figure(
        title,
        [bar],
        xaxis=axis("Theil–Sen trend over the period (% of mean level)", ticksuffix="%"),
        yaxis=axis(level_label, automargin=True),
        annotations=[legend_note],
    )


def weekly_figure(view: TrendsView, metric: str, level_label: str) -> dict:
    info = METRICS[metric]
    currency = get_settings().base_currency
    unit = {"currency": currency, "percent": "%", "count": "count", "ratio": "×"}[info.unit]
    title = f"Weekly {info.label.lower()} by {level_label.lower()}"
    weekly = view.weekly[view.weekly["metric"] == metric]
    if weekly.empty:
        return empty_figure(title)
    lines = [
        {
            "type": "scatter",
            "x": part["week"],
            "y": part["value"],
            "mode": "lines",
            "name": str(name),
            "customdata": [[channel, name]] * len(part),
            "hovertemplate": "Week of %{x|%d %b %Y}<br>%{y:,.4~g}<extra>" + str(name) + "</extra>",
        }
        for (channel, name), part in weekly.groupby(["channel", "channel_name"], sort=True)
    ]
    tick = {"percent": ".1%", "currency": "~s", "count": "~s", "ratio": ".2f"}[info.unit]
    return figure(
        title,
        lines,
        xaxis=axis("Week (starting Monday)", tickformat="%d %b %Y"),
        yaxis=axis(f"{info.label} ({unit})", tickformat=tick, rangemode="tozero"),
        showlegend=True,
    )


def table_rows(view: TrendsView) -> list[dict]:
    table = view.table.copy()
    currency = get_settings().base_currency
    table["call"] = table["direction"].map(DIRECTION_LABELS)
    table["value_text"] = [
        format_value(v, METRICS[m].unit, currency)
        for v, m in zip(table["value"], table["metric"], strict=True)
    ]
    table["sparkline_svg"] = table["sparkline"].map(lambda values: sparkline_svg(values or []))
    return records(table.drop(columns=["sparkline"]))


def _summary(view: TrendsView) -> html.Div:
    counts = view.table["direction"].value_counts()
    month = (
        f"MoM and YoY compare {view.month.start:%B %Y}"
        if view.month
        else "No complete month in the period for MoM / YoY"
    )
    return html.Div(
        [
            dbc.Badge(f"{counts.get('rising', 0)} rising", color="success", className="me-1"),
            dbc.Badge(f"{counts.get('declining', 0)} declining", color="danger", className="me-1"),
            dbc.Badge(f"{counts.get('flat', 0)} flat", color="secondary", className="me-2"),
            html.Span(
                f"{len(view.table)} series · {view.period.start:%d %b %Y} – "
                f"{view.period.end:%d %b %Y} · {month}",
                className="small text-secondary",
            ),
        ]
    )


@callback(
    Output(BREADCRUMB, "children"),
    Output(SUMMARY, "children"),
    Output(STRENGTH_CHART, "figure"),
    Output(WEEKLY_CHART, "figure"),
    Output(GRID, "rowData"),
    Output(TOTAL, "children"),
    Input(DATES, "start_date"),
    Input(DATES, "end_date"),
    Input(CHANNELS, "value"),
    Input(DRILL, "data"),
    Input(METRIC, "value"),
)
def update_trends(start, end, channels, path, metric):
    crumbs = drilldown.breadcrumb(PREFIX, path)
    if not start or not end:
        message = dbc.Alert("Choose a start and an end date.", color="warning")
        return crumbs, message, empty_figure("Trend"), empty_figure("Weekly"), [], ""
    period = Period(dt.date.fromisoformat(start[:10]), dt.date.fromisoformat(end[:10]))
    level = drilldown.level_of(path)
    view = build_trends(period, level, drilldown.drill_filters(path, channels))
    level_label = LEVEL_LABELS[level]
    revenue = view.table.loc[view.table["metric"] == "revenue", "value"].sum()
    total = (
        f"Revenue in view over the period: "
        f"{format_value(revenue, 'currency', get_settings().base_currency)}"
    )
    return (
        crumbs,
        _summary(view),
        strength_figure(view, metric, level_label),
        weekly_figure(view, metric, level_label),
        table_rows(view),
        html.Span(total, id=f"{PREFIX}-total-revenue", **{"data-value": f"{revenue:.2f}"}),
    )
