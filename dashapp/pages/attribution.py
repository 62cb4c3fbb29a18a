"""Attribution (planners and up): every attribution model's credit per channel beside last
touch, with the difference, and the path explorer; the shared period, channel and drill-down
controls plus the models' options, all kept in the URL."""

from __future__ import annotations

from dash import dcc
from dash import html

from analytics.attribution.journeys import DEFAULT_LOOKBACK_DAYS
from analytics.errors import AnalyticsError
from analytics.views.attribution import AttributionSlice
from analytics.views.attribution import AttributionView
from analytics.views.attribution import attribution_slice
from analytics.views.attribution import build_attribution
from dashapp.access import register_page
from dashapp.components.analysis_frame import AnalysisFrame
from dashapp.components.analysis_frame import PageOption
from dashapp.components.analysis_frame import refusal
from dashapp.components.attribution_charts import credit_figure
from dashapp.components.attribution_charts import difference_figure
from dashapp.components.attribution_charts import paths_figure
from dashapp.components.chart_row import chart
from dashapp.components.chart_row import loading_chart_row
from dashapp.components.charts import empty_figure
from dashapp.components.grid import column
from dashapp.components.grid import data_grid
from dashapp.components.grid import records
from dashapp.components.heading import page_heading
from dashapp.components.ids import contents
from dashapp.components.ids import figures
from dashapp.components.ids import page_ids
from dashapp.components.ids import rows
from dashapp.pages import PLANNING
from db.settings import get_settings

PREFIX = "attribution"
register_page(
    __name__, path="/attribution", title="Attribution", prefix=PREFIX, order=22, **PLANNING
)

MEASURE = PageOption("measure", "Chart", {"conversions": "Conversions", "value": "Value"})
LOOKBACK = PageOption(
    "lookback",
    "Lookback window",
    {str(d): f"{d} days" for d in (DEFAULT_LOOKBACK_DAYS, 7, 14, 60, 90)},
)
HALF_LIFE = PageOption(
    "half_life",
    "Time-decay half-life",
    {str(d): f"{d} day{'s' if d > 1 else ''}" for d in (7, 1, 3, 14, 30)},
)
ORDER = PageOption("order", "Markov order", {"1": "1st order", "2": "2nd order", "3": "3rd order"})
FRAME = AnalysisFrame(
    PREFIX,
    options=(MEASURE, LOOKBACK, HALF_LIFE, ORDER),
    widths=(6, 6, 3, 3, 3, 3),
    levels=("category", "touchpoint"),
)
IDS = page_ids(PREFIX, "message summary credit_chart difference_chart grid paths_chart paths_grid")


def _comparison_columns() -> list[dict]:
    """Credit per model and channel beside last touch's, values in the base currency."""
    return [
        column("model_label", "Model", pinned="left", minWidth=170),
        column("channel_name", "Channel", minWidth=140),
        column("conversions", "Conversions", "decimal"),
        column("last_touch_conversions", "Last touch conversions", "decimal"),
        column("conversions_difference", "Δ conversions vs last touch", "signed"),
        column("value", "Value", "currency"),
        column("last_touch_value", "Last touch value", "currency"),
        column("value_difference", "Δ value vs last touch", "currency"),
    ]


def _path_columns() -> list[dict]:
    """The most frequent paths, values in the base currency."""
    return [
        column("path", "Path (first touch → last)", minWidth=260, wrapText=True, autoHeight=True),
        column("length", "Touches", "number", maxWidth=120),
        column("journeys", "Journeys", "number"),
        column("conversions", "Conversions", "number"),
        column("conversion_rate", "Conversion rate", "percent"),
        column("value", "Value", "currency"),
    ]


def layout(**query) -> html.Div:
    heading = page_heading(
        "Attribution",
        "Which channels earn the conversions: each order's journey (the customer's touches "
        "across devices within the lookback window) credited by seven models, side by side "
        "with last touch. Markov credits by removal effect (solved exactly), Shapley by "
        "each channel's average marginal contribution over the observed paths.",
    )
    return FRAME.layout(
        query,
        heading,
        html.Div(id=IDS.message),
        html.Div(id=IDS.summary, className="small mb-2"),
        loading_chart_row(
            (IDS.credit_chart, "attribution", 6),
            (IDS.difference_chart, "attribution-vs-last", 6),
        ),
        data_grid(
            IDS.grid,
            _comparison_columns(),
            "attribution.csv",
            title="Credit per model and channel, beside last touch",
        ),
        html.H3("Path explorer", className="h5 mt-4"),
        dcc.Loading(chart(IDS.paths_chart, "paths"), type="dot"),
        data_grid(
            IDS.paths_grid,
            _path_columns(),
            "attribution-paths.csv",
            title="Most frequent paths through the channels in view",
        ),
    )


FRAME.register([IDS.credit_chart, IDS.difference_chart], [IDS.grid, IDS.paths_grid])


def _summary(view: AttributionView, shown: float, total: float) -> html.Div:
    coverage = f"{view.coverage:.0%}" if view.coverage is not None else "—"
    return html.Div(
        [
            html.Span(
                f"{view.converted:,} of {view.orders:,} orders of known customers ({coverage}) "
                f"have touches in the {view.lookback_days} days before them; "
                f"{view.null_journeys:,} journeys did not convert. ",
            ),
            html.Span(
                f"Last touch credits {shown:,.0f} of the {total:,.0f} conversions to the "
                "channels in view.",
                id=f"{PREFIX}-shown",
                **{"data-value": f"{shown:.6f}", "data-total": f"{total:.6f}"},
            ),
        ],
        className="text-secondary",
    )


def _slice(chosen, lookback, half_life, order) -> tuple[AttributionView, AttributionSlice]:
    """The view for the controls; AnalyticsError for a bad option or nothing to attribute."""
    for option, value in ((LOOKBACK, lookback), (HALF_LIFE, half_life), (ORDER, order)):
        if not isinstance(value, str) or value not in option.choices:
            raise AnalyticsError(f"choose the {option.label.lower()} from its list")
    options = {"lookback_days": int(lookback), "half_life": float(half_life), "order": int(order)}
    view = build_attribution(chosen.period, **options)
    if view.message:
        raise AnalyticsError(f"nothing to attribute: {view.message}")
    return view, attribution_slice(view, chosen.level, chosen.filters)


@FRAME.callback(
    *contents(IDS.message, IDS.summary),
    *figures(IDS.credit_chart, IDS.difference_chart),
    *rows(IDS.grid),
    *figures(IDS.paths_chart),
    *rows(IDS.paths_grid),
)
def update_attribution(chosen, measure, lookback, half_life, order):
    try:
        if chosen.problem:
            raise AnalyticsError("choose a start and an end date")
        view, narrowed = _slice(chosen, lookback, half_life, order)
    except AnalyticsError as exc:
        empty = empty_figure("Attribution", "Choose a period and the model options")
        return refusal(exc), None, empty, empty, [], empty, []
    notes = [
        refusal(f"{view.model_labels[m]} is not shown: {why}", "info")
        for m, why in view.left_out.items()
    ]
    currency = get_settings().base_currency
    measure = "value" if measure == "value" else "conversions"
    comparison = narrowed.comparison
    drillable = chosen.level == "category"
    shown = comparison.loc[comparison["model"] == "last", "conversions"].sum()
    return (
        notes,
        _summary(view, shown, narrowed.total_conversions),
        credit_figure(comparison, measure, chosen.level_label, currency, drillable),
        difference_figure(comparison, measure, chosen.level_label, currency, drillable),
        records(comparison.drop(columns=["model"])),
        paths_figure(narrowed.paths),
        records(narrowed.paths),
    )
