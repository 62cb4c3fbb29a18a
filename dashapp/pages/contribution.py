"""Contribution (all roles): revenue shares, channels side by side, drivers of change, AOV flags."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Output
from dash import callback
from dash import dcc
from dash import html

from analytics.contribution import INDEX_METRICS
from analytics.line_coverage import lines_note
from analytics.metrics import format_value
from analytics.metrics import readable
from analytics.periods import compare_periods
from analytics.views.contribution import build_aov
from analytics.views.contribution import build_contribution
from dashapp.access import ROLE_ORDER
from dashapp.access import register_page
from dashapp.auth import current_role
from dashapp.components.analysis_frame import AnalysisFrame
from dashapp.components.analysis_frame import PageOption
from dashapp.components.analysis_frame import flagged
from dashapp.components.chart_row import chart
from dashapp.components.charts import empty_figure
from dashapp.components.charts import share_of_total
from dashapp.components.contribution_charts import aov_figure
from dashapp.components.contribution_charts import index_figure
from dashapp.components.contribution_charts import waterfall_figure
from dashapp.components.grid import channel_column
from dashapp.components.grid import column
from dashapp.components.grid import data_grid
from dashapp.components.grid import highlighted
from dashapp.components.grid import records
from dashapp.components.ids import contents
from dashapp.components.ids import figures
from dashapp.components.ids import page_ids
from dashapp.components.ids import rows
from dashapp.components.line_note import lines_alert
from db.settings import get_settings

PREFIX = "contribution"
register_page(
    __name__, path="/contribution", title="Contribution", prefix=PREFIX, roles=ROLE_ORDER, order=20
)

COMPARE_LABELS = {"prior": "Prior period", "yoy": "Same period last year"}
FRAME = AnalysisFrame(
    PREFIX, option=PageOption("compare", "Compare with", COMPARE_LABELS), widths=(6, 3, 3)
)
IDS = page_ids(
    PREFIX,
    "share_chart index_chart waterfall_chart aov_chart grid aov_grid flags aov_flags total",
)


def _chart(graph_id: str, png_name: str) -> dbc.Col:
    """A chart with its own loading spinner: the AOV chart comes from a slower callback."""
    return dbc.Col(dcc.Loading(chart(graph_id, png_name, className="mb-3"), type="dot"), lg=6)


def layout(**query) -> html.Div:
    return FRAME.layout(
        query,
        html.H2("Contribution", className="h4"),
        html.Div(id=IDS.flags, className="mb-2"),
        html.Div(id=IDS.aov_flags, className="mb-2"),
        dbc.Row(
            [
                _chart(IDS.share_chart, "revenue-share"),
                _chart(IDS.waterfall_chart, "revenue-change-waterfall"),
                _chart(IDS.index_chart, "channel-index"),
                _chart(IDS.aov_chart, "aov-drivers"),
            ],
            className="g-3",
        ),
        data_grid(
            IDS.grid,
            [
                channel_column(),
                column("revenue", "Revenue", "currency"),
                column("revenue_base", "Comparison revenue", "currency"),
                column("change", "Change", "currency"),
                column("share", "Share of sales", "percent"),
                column("share_of_targeted", "Sales share among targeted", "percent"),
                column("target_share", "Target share", "percent"),
                column("trend", "Revenue trend"),
                column("status", "Status"),
                column("reason", "Why", minWidth=220),
            ],
            "contribution.csv",
            title="Channels: revenue, share and underperformance",
            getRowStyle=highlighted("params.data.underperforming", {"backgroundColor": "#f8d7da"}),
        ),
        html.Div(id=IDS.total, className="small text-secondary mb-3"),
        data_grid(
            IDS.aov_grid,
            [
                channel_column(),
                column("aov_current", "AOV", "currency_cents"),
                column("aov_baseline", "AOV baseline", "currency_cents"),
                column("change_pct", "Change (%)", "pct_points"),
                column("p_baseline_adjusted", "p vs baseline (adj.)", "pvalue"),
                column("baseline_flag", "vs own baseline"),
                column("peer_diff_pct", "vs other channels (%)", "pct_points"),
                column("p_peers_adjusted", "p vs peers (adj.)", "pvalue"),
                column("peer_flag", "vs other channels"),
                column("units_per_order_effect", "Units per order effect", "currency_cents"),
                column("mix_effect", "Product mix effect", "currency_cents"),
                column("within_category_price_effect", "Price effect", "currency_cents"),
            ],
            "aov-deviations.csv",
            title="AOV deviation flags (Mann–Whitney on order values, BH-adjusted) "
            "and basket drivers",
            getRowStyle=highlighted("params.data.flagged", {"backgroundColor": "#fff3cd"}),
        ),
    )


FRAME.register(
    [IDS.share_chart, IDS.waterfall_chart, IDS.index_chart, IDS.aov_chart], [IDS.grid, IDS.aov_grid]
)


def _flag_text(flag: bool, direction: str) -> str:
    return {"up": "▲ higher", "down": "▼ lower"}.get(direction, "") if flag else "no deviation"


def aov_rows(table: pd.DataFrame) -> list[dict]:
    """The AOV grid's rows: the flags in words."""
    table = table.copy()
    table["baseline_flag"] = [
        _flag_text(f, d)
        for f, d in zip(table["deviates_from_baseline"], table["direction"], strict=True)
    ]
    table["peer_flag"] = [
        _flag_text(f, d)
        for f, d in zip(table["deviates_from_peers"], table["peer_direction"], strict=True)
    ]
    return records(table)


def _underperformers_banner(table: pd.DataFrame) -> dbc.Alert:
    under = table.loc[table["underperforming"], "channel_name"]
    return flagged("Underperforming", under, "danger") or dbc.Alert(
        "No channel is underperforming.", color="success", className="py-2 mb-2"
    )


@FRAME.callback(
    *contents(IDS.flags),
    *figures(IDS.share_chart, IDS.waterfall_chart, IDS.index_chart),
    *rows(IDS.grid),
    *contents(IDS.total),
    blank=(*(empty_figure("Choose a period"),) * 3, [], ""),
)
def update_contribution(chosen, compare):
    period = chosen.period
    base = compare_periods(period, [compare])[compare]
    currency = get_settings().base_currency
    view = build_contribution(
        period,
        base,
        chosen.level,
        chosen.filters,
        index_metrics=readable(INDEX_METRICS, current_role()),
    )
    table = view.channels
    total = table["revenue"].sum()
    labels = ("Selected period", COMPARE_LABELS[compare])
    level = chosen.level_label.lower()
    return (
        _underperformers_banner(table),
        share_of_total(
            view.shares, f"Share of gross sales by {level} (100 % stacked)", "bucket", 400
        ),
        waterfall_figure(view.waterfall, labels, currency),
        index_figure(view.index, chosen.level_label),
        records(table),
        html.Span(
            f"Total revenue in view: {format_value(total, 'currency', currency)} "
            f"({period.start:%d %b %Y} – {period.end:%d %b %Y}; compared with "
            f"{base.start:%d %b %Y} – {base.end:%d %b %Y})",
            id=f"{PREFIX}-total-revenue",
            **{"data-value": f"{total:.2f}"},
        ),
    )


@callback(
    Output(IDS.aov_flags, "children"),
    Output(IDS.aov_chart, "figure"),
    Output(IDS.aov_grid, "rowData"),
    *FRAME.inputs,
)
def update_aov(start, end, channels, path, compare):
    """The AOV deviation tests read order samples: their own callback, so the rest of the
    page does not wait for them."""
    chosen = FRAME.selection(start, end, channels, path)
    if chosen.problem:
        return None, empty_figure("Choose a period"), []
    aov = build_aov(chosen.period, chosen.level, chosen.filters, compare=compare)
    table = aov.table
    note = lines_note(chosen.period, "the basket drivers of AOV", chosen.filters)
    return (
        [
            flagged(
                "AOV deviates significantly", table.loc[table["flagged"], "channel_name"], "warning"
            ),
            lines_alert(note, PREFIX),
        ],
        aov_figure(aov.drivers, get_settings().base_currency, COMPARE_LABELS[compare]),
        aov_rows(table),
    )
