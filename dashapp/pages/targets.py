"""Targets & variance (all roles): actual vs target with RAG status and why revenue missed.

Setting targets is on Admin › Targets (admins only).
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc
from dash import html

from analytics.metrics import METRICS
from analytics.metrics import format_value
from analytics.metrics import signed_text
from analytics.views.targets import VARIANCE_COLUMNS
from analytics.views.targets import TargetsView
from analytics.views.targets import build_targets
from dashapp.access import ROLE_ORDER
from dashapp.access import register_page
from dashapp.auth import current_role
from dashapp.components.analysis_frame import AnalysisFrame
from dashapp.components.analysis_frame import flagged
from dashapp.components.chart_row import loading_chart_row
from dashapp.components.charts import empty_figure
from dashapp.components.grid import channel_column
from dashapp.components.grid import column
from dashapp.components.grid import data_grid
from dashapp.components.grid import records
from dashapp.components.ids import contents
from dashapp.components.ids import figures
from dashapp.components.ids import page_ids
from dashapp.components.ids import rows
from dashapp.components.target_charts import RAG_COLORS
from dashapp.components.target_charts import effects_figure
from dashapp.components.target_charts import variance_figure
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

FRAME = AnalysisFrame(PREFIX, default_preset="last_quarter", widths=(7, 5))
IDS = page_ids(PREFIX, "variance_chart effects_chart grid effects_grid flags total")

RAG_LABELS = {
    "green": "● on target",
    "amber": "● close",
    "red": "● off target",
    "none": "no target",
}


def layout(**query) -> html.Div:
    admin_link = (
        dcc.Link(
            "Set targets or import a CSV (Admin › Targets)",
            href="/admin/targets",
            className="small",
        )
        if current_role() == "admin"
        else html.Span("Targets are set by admins.", className="small text-secondary")
    )
    return FRAME.layout(
        query,
        html.Div(
            [html.H2("Targets & variance", className="h4 mb-0"), admin_link],
            className="d-flex justify-content-between align-items-baseline mb-2",
        ),
        html.Div(id=IDS.flags, className="mb-2"),
        loading_chart_row(
            (IDS.variance_chart, "revenue-vs-target", 6),
            (IDS.effects_chart, "revenue-variance-drivers", 6),
        ),
        data_grid(
            IDS.grid,
            [
                channel_column(),
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
                c for c in VARIANCE_COLUMNS if c not in ("channel", "metric", "below_threshold")
            ],
            title="Actual vs target (green: on or above target · amber: up to 5 % short · "
            "red: more; margin: red below its threshold)",
        ),
        data_grid(
            IDS.effects_grid,
            [
                channel_column(),
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
        html.Div(id=IDS.total, className="small text-secondary"),
    )


FRAME.register([IDS.variance_chart, IDS.effects_chart], [IDS.grid, IDS.effects_grid])


def _variance_text(value: float, unit: str, currency: str) -> str:
    """Signed variance: money and counts as amounts, rates in percentage points."""
    if pd.isna(value):
        return "—"
    if unit == "percent":
        return signed_text(value * 100, " pp")
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


PART_OF_CHANNELS = (
    "Targets are set for whole channels: the filter keeps part of each {level} (a touchpoint, "
    "region or location), so actuals are shown without targets."
)


def _flags(view: TargetsView) -> html.Div:
    table = view.variance
    below = table[table["below_threshold"] & (table["channel"] != "total")]
    red = table[(table["status"] == "red") & (table["metric"] == "revenue")]
    banners = (
        flagged(
            "Margin below threshold", below["channel_name"], "danger", id=f"{PREFIX}-margin-flag"
        ),
        flagged("Revenue more than 5 % below target", red["channel_name"], "warning"),
    )
    note = view.partial_channels and dbc.Alert(
        PART_OF_CHANNELS.format(level=view.level),
        color="info",
        className="py-2 mb-2 small",
        id=f"{PREFIX}-part-note",
    )
    return html.Div([banner for banner in (*banners, note) if banner])


@FRAME.callback(
    *contents(IDS.flags),
    *figures(IDS.variance_chart, IDS.effects_chart),
    *rows(IDS.grid, IDS.effects_grid),
    *contents(IDS.total),
    blank=(*(empty_figure("Choose a period"),) * 2, [], [], ""),
)
def update_targets(chosen):
    currency = get_settings().base_currency
    view = build_targets(chosen.period, chosen.level, chosen.filters)
    period, total = view.period, view.revenue
    return (
        _flags(view),
        variance_figure(view.variance, chosen.level_label, currency),
        effects_figure(view.effects, currency),
        grid_rows(view.variance, currency),
        records(view.effects),
        html.Span(
            f"Revenue in view: {format_value(total, 'currency', currency)} · "
            f"{period.start:%d %b %Y} – {period.end:%d %b %Y}",
            id=f"{PREFIX}-total-revenue",
            **{"data-value": f"{total:.2f}"},
        ),
    )
