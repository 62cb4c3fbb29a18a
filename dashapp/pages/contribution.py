"""Contribution (all roles): revenue shares, channels side by side, drivers of change, AOV flags."""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, callback, dcc, html

from analytics.channels import CHANNEL_LEVELS, LEVEL_LABELS, level_labels
from analytics.metrics import format_value
from analytics.periods import Period, compare_periods
from analytics.rollup import data_range
from analytics.views.contribution import build_aov, build_contribution
from dashapp.access import ROLE_ORDER, register_page
from dashapp.components import drilldown, url_state
from dashapp.components.charts import axis, empty_figure, figure, reference_line
from dashapp.components.filters import channel_filter
from dashapp.components.grid import column, data_grid, png_config, records, register_csv_export
from db.settings import get_settings

PREFIX = "contribution"
register_page(
    __name__, path="/contribution", title="Contribution", prefix=PREFIX, roles=ROLE_ORDER, order=20
)

CHANNELS = f"{PREFIX}-channels"
COMPARE = f"{PREFIX}-compare"
DATES = f"{PREFIX}-dates"
PRESET = f"{PREFIX}-preset"
DRILL = drilldown.store_id(PREFIX)
BREADCRUMB = f"{PREFIX}-breadcrumb"
SHARE_CHART = f"{PREFIX}-share-chart"
INDEX_CHART = f"{PREFIX}-index-chart"
WATERFALL_CHART = f"{PREFIX}-waterfall-chart"
AOV_CHART = f"{PREFIX}-aov-chart"
GRID = f"{PREFIX}-grid"
AOV_GRID = f"{PREFIX}-aov-grid"
FLAGS = f"{PREFIX}-flags"
AOV_FLAGS = f"{PREFIX}-aov-flags"
TOTAL = f"{PREFIX}-total"
URL_SINK = url_state.sink_id(PREFIX)

COMPARE_LABELS = {"prior": "Prior period", "yoy": "Same period last year"}
OPTIONS = {"compare": ("prior", "yoy")}


def _drill_steps(codes: list[str]) -> list[dict]:
    return [
        {"code": code, "name": level_labels(level, [code])[code]}
        for level, code in zip(CHANNEL_LEVELS, codes, strict=False)
    ]


def _label(text: str, target: str) -> dbc.Label:
    return dbc.Label(text, html_for=target, className="small text-secondary mb-0")


def _chart(graph_id: str, png_name: str) -> dbc.Col:
    """A chart with its own loading spinner: the AOV chart comes from a slower callback."""
    graph = dcc.Graph(id=graph_id, config=png_config(png_name), className="mb-3")
    return dbc.Col(dcc.Loading(graph, type="dot"), lg=6)


def layout(**query) -> html.Div:
    bounds = data_range()
    if bounds is None:
        return dbc.Alert("No data yet: load orders first.", color="info", id=f"{PREFIX}-empty")
    first, last = bounds
    view = url_state.read_view(query, first, last, "quarter", OPTIONS)
    return html.Div(
        [
            html.H2("Contribution", className="h4"),
            url_state.bounds_store(PREFIX, first, last),
            dcc.Store(id=DRILL, data=_drill_steps(view.drill)),
            dcc.Store(id=URL_SINK),
            dbc.Row(
                [
                    dbc.Col(url_state.controls(PREFIX, first, last, view), lg=6),
                    dbc.Col(channel_filter(CHANNELS, view.channels), lg=3),
                    dbc.Col(
                        [
                            _label("Compare with", COMPARE),
                            dcc.Dropdown(
                                id=COMPARE,
                                options=[
                                    {"label": v, "value": k} for k, v in COMPARE_LABELS.items()
                                ],
                                value=view.options["compare"],
                                clearable=False,
                            ),
                        ],
                        lg=3,
                    ),
                ],
                className="mb-2 g-3 align-items-end",
            ),
            html.Div(id=BREADCRUMB),
            html.Div(id=FLAGS, className="mb-2"),
            html.Div(id=AOV_FLAGS, className="mb-2"),
            dbc.Row(
                [
                    _chart(SHARE_CHART, "revenue-share"),
                    _chart(WATERFALL_CHART, "revenue-change-waterfall"),
                    _chart(INDEX_CHART, "channel-index"),
                    _chart(AOV_CHART, "aov-drivers"),
                ],
                className="g-3",
            ),
            data_grid(
                GRID,
                [
                    column("channel_name", "Channel", pinned="left", minWidth=150),
                    column("revenue", "Revenue", "currency"),
                    column("revenue_base", "Comparison revenue", "currency"),
                    column("change", "Change", "currency"),
                    column("share", "Share", "percent"),
                    column("share_of_targeted", "Share among targeted", "percent"),
                    column("target_share", "Target share", "percent"),
                    column("trend", "Revenue trend"),
                    column("status", "Status"),
                    column("reason", "Why", minWidth=220),
                ],
                "contribution.csv",
                title="Channels: revenue, share and underperformance",
                getRowStyle={
                    "styleConditions": [
                        {
                            "condition": "params.data.underperforming",
                            "style": {"backgroundColor": "#f8d7da"},
                        }
                    ]
                },
            ),
            html.Div(id=TOTAL, className="small text-secondary mb-3"),
            data_grid(
                AOV_GRID,
                [
                    column("channel_name", "Channel", pinned="left", minWidth=150),
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
                getRowStyle={
                    "styleConditions": [
                        {
                            "condition": "params.data.flagged",
                            "style": {"backgroundColor": "#fff3cd"},
                        }
                    ]
                },
            ),
        ]
    )


url_state.register_period_sync(PREFIX)
drilldown.register_drilldown(PREFIX, [SHARE_CHART, WATERFALL_CHART, INDEX_CHART, AOV_CHART])
register_csv_export(GRID)
register_csv_export(AOV_GRID)
url_state.register_url_sync(
    PREFIX,
    [
        (PRESET, "value", "preset"),
        (DATES, "start_date", "start"),
        (DATES, "end_date", "end"),
        (CHANNELS, "value", "channels"),
        (DRILL, "data", "drill"),
        (COMPARE, "value", "compare"),
    ],
)


def share_figure(shares: pd.DataFrame, level_label: str) -> dict:
    title = f"Share of total revenue by {level_label.lower()} (100 % stacked)"
    if shares.empty:
        return empty_figure(title)
    bars = [
        {
            "type": "bar",
            "x": part["bucket"],
            "y": part["share"],
            "name": str(name),
            "customdata": [[channel, name]] * len(part),
            "hovertemplate": "%{x|%b %Y}<br>%{y:.1%} of revenue<extra>" + str(name) + "</extra>",
        }
        for (channel, name), part in shares.groupby(["channel", "channel_name"], sort=True)
    ]
    return figure(
        title,
        bars,
        barmode="stack",
        xaxis=axis("Month", tickformat="%b %Y", dtick="M1"),
        yaxis=axis("Share of revenue (%)", tickformat=".0%", range=[0, 1]),
    )


def waterfall_figure(waterfall: pd.DataFrame, labels: tuple[str, str], currency: str) -> dict:
    title = f"Revenue change by channel: {labels[1]} → {labels[0]}"
    if waterfall.empty:
        return empty_figure(title)
    base_total = waterfall["revenue_base"].sum()
    now_total = waterfall["revenue_current"].sum()
    running = base_total + waterfall["change"].cumsum()
    low = min(base_total, now_total, running.min())
    high = max(base_total, now_total, running.max())
    pad = max((high - low) * 0.15, abs(high) * 0.01, 1.0)
    steps = {
        "type": "waterfall",
        "x": [labels[1], *waterfall["channel_name"], labels[0]],
        "y": [base_total, *waterfall["change"], now_total],
        "measure": ["absolute", *["relative"] * len(waterfall), "total"],
        "customdata": [
            ["", ""],
            *waterfall[["channel", "channel_name"]].to_numpy().tolist(),
            ["", ""],
        ],
        "increasing": {"marker": {"color": "#198754"}},
        "decreasing": {"marker": {"color": "#dc3545"}},
        "totals": {"marker": {"color": "#0d6efd"}},
        "connector": {"line": {"color": "#adb5bd"}},
        "hovertemplate": "%{x}<br>%{y:,.0f} " + currency + "<extra></extra>",
    }
    return figure(
        title,
        [steps],
        xaxis=axis("Channel"),
        yaxis=axis(
            f"Revenue ({currency}, axis not from zero)",
            tickformat="~s",
            range=[low - pad, high + pad],
        ),
        showlegend=False,
    )


def index_figure(index: pd.DataFrame, level_label: str) -> dict:
    title = "Side by side: index vs all channels (100 = mix average)"
    if index.empty or index["index"].isna().all():
        return empty_figure(title)
    bars = [
        {
            "type": "bar",
            "x": part["metric_label"],
            "y": part["index"],
            "name": str(name),
            "customdata": [[channel, name]] * len(part),
            "hovertemplate": "%{x}<br>index %{y:.0f}<extra>" + str(name) + "</extra>",
        }
        for (channel, name), part in index.groupby(["channel", "channel_name"], sort=True)
    ]
    return figure(
        title,
        bars,
        barmode="group",
        xaxis=axis("Metric"),
        yaxis=axis("Index (channel ÷ all channels × 100)", type="log"),
        shapes=[reference_line(100, dash="dot", color="#6c757d")],
    )


def aov_figure(drivers: pd.DataFrame, currency: str, baseline_label: str) -> dict:
    title = f"What moved basket value per order vs {baseline_label.lower()}"
    rows = (
        drivers[drivers.get("status", pd.Series(dtype=str)) == "continuing"]
        if not drivers.empty
        else drivers
    )
    if rows.empty:
        return empty_figure(title)
    bars = [
        {
            "type": "bar",
            "x": rows["channel_name"],
            "y": rows[field],
            "name": name,
            "marker": {"color": color},
            "customdata": rows[["channel", "channel_name"]].to_numpy(),
            "hovertemplate": "%{x}<br>%{y:+,.2f} " + currency + "<extra>" + name + "</extra>",
        }
        for field, name, color in (
            ("units_per_order_effect", "Units per order", "#0d6efd"),
            ("mix_effect", "Product mix", "#6f42c1"),
            ("within_category_price_effect", "Price within category", "#fd7e14"),
        )
    ]
    return figure(
        title,
        bars,
        barmode="relative",
        xaxis=axis("Channel"),
        yaxis=axis(f"Effect per order ({currency})"),
    )


def _flag_text(flag: bool, direction: str) -> str:
    return {"up": "▲ higher", "down": "▼ lower"}.get(direction, "") if flag else "no deviation"


def aov_rows(flags: pd.DataFrame, drivers: pd.DataFrame) -> pd.DataFrame:
    basket = drivers.drop(columns=["channel_name"], errors="ignore").rename(
        columns={
            "aov_base": "basket_aov_base",
            "aov_current": "basket_aov_current",
            "aov_change": "basket_aov_change",
            "status": "basket_status",
        }
    )
    table = flags.merge(basket, on="channel", how="left")
    table["baseline_flag"] = [
        _flag_text(f, d)
        for f, d in zip(table["deviates_from_baseline"], table["direction"], strict=True)
    ]
    table["peer_flag"] = [
        _flag_text(f, d)
        for f, d in zip(table["deviates_from_peers"], table["peer_direction"], strict=True)
    ]
    table["flagged"] = table["deviates_from_baseline"] | table["deviates_from_peers"]
    return table


def channel_rows(waterfall: pd.DataFrame, under: pd.DataFrame) -> pd.DataFrame:
    table = under.merge(waterfall[["channel", "revenue_base", "change"]], on="channel", how="outer")
    table["channel_name"] = table["channel_name"].fillna(
        table["channel"].map(
            dict(zip(waterfall["channel"], waterfall["channel_name"], strict=True))
        )
    )
    table["revenue"] = table["revenue"].fillna(0.0)
    table["underperforming"] = table["underperforming"].fillna(False).astype(bool)
    table["status"] = table["underperforming"].map({True: "underperforming", False: "on track"})
    return table.sort_values("revenue", ascending=False, ignore_index=True)


def _underperformers_banner(table: pd.DataFrame) -> dbc.Alert:
    under = table.loc[table["underperforming"], "channel_name"].tolist()
    if under:
        return dbc.Alert(
            f"Underperforming: {', '.join(map(str, under))}", color="danger", className="py-2 mb-2"
        )
    return dbc.Alert("No channel is underperforming.", color="success", className="py-2 mb-2")


def _aov_banner(aov: pd.DataFrame) -> dbc.Alert | None:
    flagged = aov.loc[aov["flagged"], "channel_name"].tolist()
    if not flagged:
        return None
    return dbc.Alert(
        f"AOV deviates significantly: {', '.join(map(str, flagged))}",
        color="warning",
        className="py-2 mb-2",
    )


def _period(start: str, end: str) -> Period:
    return Period(dt.date.fromisoformat(start[:10]), dt.date.fromisoformat(end[:10]))


@callback(
    Output(BREADCRUMB, "children"),
    Output(FLAGS, "children"),
    Output(SHARE_CHART, "figure"),
    Output(WATERFALL_CHART, "figure"),
    Output(INDEX_CHART, "figure"),
    Output(GRID, "rowData"),
    Output(TOTAL, "children"),
    Input(DATES, "start_date"),
    Input(DATES, "end_date"),
    Input(CHANNELS, "value"),
    Input(DRILL, "data"),
    Input(COMPARE, "value"),
)
def update_contribution(start, end, channels, path, compare):
    crumbs = drilldown.breadcrumb(PREFIX, path)
    if not start or not end:
        empty = empty_figure("Choose a period")
        warning = dbc.Alert("Choose a start and an end date.", color="warning")
        return crumbs, warning, empty, empty, empty, [], ""
    period = _period(start, end)
    base = compare_periods(period, [compare])[compare]
    level = drilldown.level_of(path)
    level_label = LEVEL_LABELS[level]
    filters = drilldown.drill_filters(path, channels)
    currency = get_settings().base_currency
    view = build_contribution(period, base, level, filters)
    table = channel_rows(view.waterfall, view.underperformers)
    total = table["revenue"].sum()
    labels = ("Selected period", COMPARE_LABELS[compare])
    return (
        crumbs,
        _underperformers_banner(table),
        share_figure(view.shares, level_label),
        waterfall_figure(view.waterfall, labels, currency),
        index_figure(view.index, level_label),
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
    Output(AOV_FLAGS, "children"),
    Output(AOV_CHART, "figure"),
    Output(AOV_GRID, "rowData"),
    Input(DATES, "start_date"),
    Input(DATES, "end_date"),
    Input(CHANNELS, "value"),
    Input(DRILL, "data"),
    Input(COMPARE, "value"),
)
def update_aov(start, end, channels, path, compare):
    """The AOV deviation tests read order samples: their own callback, so the rest of the
    page does not wait for them."""
    if not start or not end:
        return None, empty_figure("Choose a period"), []
    period = _period(start, end)
    level = drilldown.level_of(path)
    filters = drilldown.drill_filters(path, channels)
    aov = build_aov(period, level, filters, compare=compare)
    aov_table = aov_rows(aov.flags, aov.drivers)
    return (
        _aov_banner(aov_table),
        aov_figure(aov.drivers, get_settings().base_currency, COMPARE_LABELS[compare]),
        records(aov_table),
    )
