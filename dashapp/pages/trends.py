"""Trends (all roles): which channels are rising or declining, backed by a trend test."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from analytics.metrics import METRICS
from analytics.metrics import format_value
from analytics.views.trends import TREND_METRICS
from analytics.views.trends import TrendsView
from analytics.views.trends import build_trends
from dashapp.access import ROLE_ORDER
from dashapp.access import register_page
from dashapp.components.analysis_frame import AnalysisFrame
from dashapp.components.analysis_frame import PageOption
from dashapp.components.chart_row import loading_chart_row
from dashapp.components.charts import empty_figure
from dashapp.components.grid import channel_column
from dashapp.components.grid import column
from dashapp.components.grid import data_grid
from dashapp.components.grid import records
from dashapp.components.grid import sparkline_svg
from dashapp.components.heading import page_heading
from dashapp.components.ids import contents
from dashapp.components.ids import figures
from dashapp.components.ids import page_ids
from dashapp.components.ids import rows
from dashapp.components.trend_charts import strength_figure
from dashapp.components.trend_charts import weekly_figure
from db.settings import get_settings

PREFIX = "trends"
register_page(__name__, path="/trends", title="Trends", prefix=PREFIX, roles=ROLE_ORDER, order=10)

FRAME = AnalysisFrame(
    PREFIX,
    default_preset="last_365",
    option=PageOption("metric", "Chart metric", {m: METRICS[m].label for m in TREND_METRICS}),
)
IDS = page_ids(PREFIX, "strength_chart weekly_chart grid summary total")

DIRECTION_LABELS = {
    "rising": "▲ rising",
    "declining": "▼ declining",
    "flat": "– flat",
    "sparse": "too sparse",
}


def layout(**query) -> html.Div:
    heading = page_heading(
        "Trends",
        "Rising or declining performance per channel: a Mann–Kendall test on the "
        "seasonally adjusted daily series (p < 0.05), with the Theil–Sen size of the "
        "trend, month-on-month and year-on-year changes and the last 26 weeks.",
    )
    return FRAME.layout(
        query,
        heading,
        html.Div(id=IDS.summary, className="mb-2"),
        loading_chart_row(
            (IDS.strength_chart, "trend-strength", 5),
            (IDS.weekly_chart, "weekly-trend", 7),
            class_name="g-3",
        ),
        data_grid(
            IDS.grid,
            [
                channel_column(),
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
        html.Div(id=IDS.total, className="small text-secondary"),
    )


FRAME.register([IDS.strength_chart, IDS.weekly_chart], [IDS.grid])


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


@FRAME.callback(
    *contents(IDS.summary),
    *figures(IDS.strength_chart, IDS.weekly_chart),
    *rows(IDS.grid),
    *contents(IDS.total),
    blank=(empty_figure("Trend"), empty_figure("Weekly"), [], ""),
)
def update_trends(chosen, metric):
    view = build_trends(chosen.period, chosen.level, chosen.filters)
    currency = get_settings().base_currency
    revenue = view.table.loc[view.table["metric"] == "revenue", "value"].sum()
    total = f"Revenue in view over the period: {format_value(revenue, 'currency', currency)}"
    return (
        _summary(view),
        strength_figure(view, metric, chosen.level_label),
        weekly_figure(view, metric, chosen.level_label, currency),
        table_rows(view),
        html.Span(total, id=f"{PREFIX}-total-revenue", **{"data-value": f"{revenue:.2f}"}),
    )
