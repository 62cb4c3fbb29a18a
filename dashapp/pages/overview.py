"""Overview (all roles): KPIs for a period vs the prior period, last year and target, by channel,
and the recommended actions (linked to the pages the viewer's role may open)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input
from dash import Output
from dash import callback
from dash import dcc
from dash import html
from dash import no_update

from analytics.decisions import build_decisions
from analytics.errors import AnalyticsError
from analytics.metrics import METRICS
from analytics.metrics import format_change
from analytics.metrics import format_value
from analytics.metrics import may_read
from analytics.rollup import Filters
from analytics.rollup import data_range
from analytics.views.overview import OverviewView
from analytics.views.overview import build_overview
from dashapp.access import ROLE_ORDER
from dashapp.access import register_page
from dashapp.auth import current_role
from dashapp.callback_values import declare_store
from dashapp.callback_values import flag
from dashapp.components import url_state
from dashapp.components.analysis_frame import no_data
from dashapp.components.analysis_frame import refusal
from dashapp.components.charts import revenue_by_channel
from dashapp.components.charts import share_of_total
from dashapp.components.decision_list import decision_list
from dashapp.components.filters import channel_filter
from dashapp.components.filters import opening_preset
from dashapp.components.filters import period_controls
from dashapp.components.filters import picked_period
from dashapp.components.filters import preset_period
from dashapp.components.filters import presets_end
from dashapp.components.filters import split_channel_values
from dashapp.components.ids import contents
from dashapp.components.ids import date_range
from dashapp.components.ids import figures
from dashapp.components.ids import page_ids
from dashapp.components.ids import text_choices
from dashapp.components.kpi import kpi_card
from dashapp.components.validation_badge import validation_badge
from db.settings import get_settings

PREFIX = "overview"
register_page(__name__, path="/", title="Overview", prefix=PREFIX, roles=ROLE_ORDER, order=0)

IDS = page_ids(
    PREFIX,
    "dates channels refresh kpis revenue_chart share_chart as_of validation error heading"
    " decisions decisions_asked",
)
declare_store(IDS.decisions_asked, flag)
REFRESH_MS = 60_000


def layout(**_query) -> html.Div:
    bounds = data_range()
    if bounds is None:
        return no_data(PREFIX)
    first, last = bounds
    fiscal = get_settings().fiscal_year_start_month
    presets_last = presets_end(first, last)
    preset, note = opening_preset("quarter", presets_last, fiscal)
    period = preset_period(preset, presets_last, fiscal)
    return html.Div(
        [
            html.Div(
                [
                    html.H2("Overview", className="h4 mb-0 me-3", id=IDS.heading),
                    html.Div(id=IDS.validation),
                ],
                className="d-flex align-items-center mb-2",
            ),
            url_state.bounds_store(PREFIX, first, last),
            dcc.Interval(id=IDS.refresh, interval=REFRESH_MS),
            dbc.Row(
                [
                    dbc.Col(period_controls(PREFIX, first, last, period, preset, note), md=7),
                    dbc.Col(
                        channel_filter(IDS.channels),
                        md=5,
                    ),
                ],
                className="mb-3 g-3 align-items-end",
            ),
            html.Div(id=IDS.error),
            dcc.Loading(html.Div(id=IDS.kpis), type="dot"),
            dcc.Store(id=IDS.decisions_asked, data=True),
            dcc.Loading(html.Div(id=IDS.decisions, className="mt-3"), type="dot"),
            dbc.Row(
                [
                    dbc.Col(dcc.Graph(id=IDS.revenue_chart, config={"displaylogo": False}), lg=6),
                    dbc.Col(dcc.Graph(id=IDS.share_chart, config={"displaylogo": False}), lg=6),
                ],
                className="mt-3 g-3",
            ),
            html.Div(id=IDS.as_of, className="small text-secondary mt-2"),
        ]
    )


url_state.register_period_sync(PREFIX)


def _acquisition_card(kpis: dict, currency: str, role: str | None) -> dbc.Card:
    """Customer acquisition cost for roles that may read spend; new customers otherwise."""
    if may_read("cac", role):
        cac = kpis["cac"]
        value = format_value(cac.value, "currency", currency)
        return kpi_card(
            f"{PREFIX}-card-cac",
            METRICS["cac"].label,
            value,
            cac.change_prior,
            cac.change_last_year,
            higher_is_better=False,
        )
    new = kpis["new_customers"]
    return kpi_card(
        f"{PREFIX}-card-new-customers",
        METRICS["new_customers"].label,
        format_value(new.value, "count"),
        new.change_prior,
        new.change_last_year,
    )


def _kpi_cards(view: OverviewView, currency: str, role: str | None) -> dbc.Row:
    label = view.period.label(get_settings().fiscal_year_start_month)
    short = label if label.startswith("Q") else f"{view.period.days} days"
    kpis = view.kpis
    revenue = kpis["revenue"]
    revenue_note = (
        f"Target {format_value(revenue.target, 'currency', currency)} · "
        f"{format_change(revenue.variance_to_target)} vs target"
        if revenue.target
        else "No revenue target for this selection"
    )
    conversion = kpis["conversion_rate"]
    if conversion.target:
        conversion_value = f"{format_change(conversion.variance_to_target)} vs Target"
        conversion_note = (
            f"Actual {format_value(conversion.value, 'percent')} · "
            f"target {format_value(conversion.target, 'percent')}"
        )
    else:
        conversion_value = format_value(conversion.value, "percent")
        conversion_note = "No conversion target for this selection"
    share = view.by_channel["share"].iloc[0] if view.top_channel else None
    top_note = (
        f"{format_value(view.top_channel_revenue, 'currency', currency)} revenue · "
        f"{format_value(share, 'percent')} of gross sales"
        if view.top_channel
        else None
    )
    margin = kpis["margin_pct"]
    margin_note = None
    if margin.target is not None and margin.value is not None:
        state = "below" if margin.value < margin.target else "above"
        margin_note = f"{state.capitalize()} the {format_value(margin.target, 'percent')} threshold"
    cards = [
        kpi_card(
            f"{PREFIX}-card-revenue",
            "Total revenue",
            f"{format_value(revenue.value, 'currency', currency)} ({short})",
            revenue.change_prior,
            revenue.change_last_year,
            note=revenue_note,
        ),
        kpi_card(
            f"{PREFIX}-card-conversion",
            "Conversion rate variance" if conversion.target else "Conversion rate",
            conversion_value,
            conversion.change_prior,
            conversion.change_last_year,
            note=conversion_note,
        ),
        kpi_card(
            f"{PREFIX}-card-top",
            "Top performing channel",
            view.top_channel or "—",
            note=top_note,
            comparable=False,
        ),
        kpi_card(
            f"{PREFIX}-card-aov",
            METRICS["aov"].label,
            format_value(kpis["aov"].value, "currency", currency),
            kpis["aov"].change_prior,
            kpis["aov"].change_last_year,
        ),
        _acquisition_card(kpis, currency, role),
        kpi_card(
            f"{PREFIX}-card-margin",
            METRICS["margin_pct"].label,
            format_value(margin.value, "percent"),
            margin.change_prior,
            margin.change_last_year,
            note=margin_note,
        ),
    ]
    return dbc.Row([dbc.Col(card, md=6, xl=4, xxl=2) for card in cards], className="g-3")


def _as_of(view: OverviewView) -> str:
    stamp = view.data_as_of
    when = (
        "never"
        if stamp is None
        else stamp.astimezone(get_settings().tz).strftime("%d %b %Y %H:%M %Z")
    )
    return (
        f"Data as of {when} · {view.period.start:%d %b %Y} – {view.period.end:%d %b %Y} "
        f"compared with {view.prior.start:%d %b %Y} – {view.prior.end:%d %b %Y} (prior period) "
        f"and {view.last_year.start:%d %b %Y} – {view.last_year.end:%d %b %Y} (last year)"
    )


@callback(
    Output(IDS.kpis, "children"),
    *figures(IDS.revenue_chart, IDS.share_chart),
    *contents(IDS.as_of, IDS.validation, IDS.error),
    *date_range(IDS.dates),
    *text_choices(IDS.channels),
    Input(IDS.refresh, "n_intervals"),
)
def update_overview(start, end, channels, _tick):
    try:
        period = picked_period(start, end)
    except AnalyticsError as exc:
        message = dbc.Alert(f"Cannot show this period: {exc}.", color="warning", dismissable=True)
        return no_update, no_update, no_update, no_update, no_update, message
    view = build_overview(period, Filters(**split_channel_values(channels)))
    currency = get_settings().base_currency
    fiscal = get_settings().fiscal_year_start_month
    labels = {
        "now": period.label(fiscal),
        "prior": "Prior period",
        "ly": "Same period last year",
    }
    return (
        _kpi_cards(view, currency, current_role()),
        revenue_by_channel(view.by_channel, currency, labels),
        share_of_total(view.share_over_time),
        _as_of(view),
        validation_badge(PREFIX, period, current_role()),
        None,
    )


@callback(Output(IDS.decisions, "children"), Input(IDS.decisions_asked, "data"))
def update_decisions(_asked):
    """The actions from the latest data, whatever period the KPIs show; computed once per visit
    (not on the refresh tick) because they take seconds."""
    bounds = data_range()
    if bounds is None:
        return None
    end = presets_end(*bounds)  # whole days only, as the presets
    try:
        decisions = build_decisions(end, role=current_role())
    except AnalyticsError as exc:
        return refusal(f"no recommended actions: {exc}", "info")
    currency = get_settings().base_currency
    return decision_list(decisions, end, current_role(), currency, PREFIX)
