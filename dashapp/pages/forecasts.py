"""Forecasts (planners and up): channel forecasts with intervals against actuals, predicted
demand shifts, spend saturation curves and capped-growth plateaus."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import Output
from dash import callback
from dash import dcc
from dash import html

from dashapp.access import register_page
from dashapp.components.charts import AMOUNT_TICKS
from dashapp.components.charts import CHART_FONT
from dashapp.components.charts import empty_figure
from dashapp.components.forecast_charts import saturation_figure
from dashapp.components.forms import inline_choice
from dashapp.components.forms import labelled
from dashapp.components.grid import column
from dashapp.components.grid import data_grid
from dashapp.components.grid import register_csv_export
from dashapp.components.ids import page_ids
from dashapp.components.ids import text_values
from dashapp.components.ids import values
from dashapp.pages import PLANNING
from db.settings import get_settings
from forecasting.data import SeriesId
from forecasting.data import channel_names
from forecasting.data import channel_series
from forecasting.data import demand_shifts
from forecasting.errors import ForecastingError
from forecasting.jobs import CAPPED_SUFFIX
from forecasting.jobs import level_series_label
from forecasting.jobs import series_label
from forecasting.series import DS
from forecasting.series import ID
from forecasting.series import LOWER
from forecasting.series import UPPER
from forecasting.series import YHAT
from forecasting.series import Y
from forecasting.spend_response import touchpoint_responses
from forecasting.store import read_forecasts
from forecasting.views import coherence_note

PREFIX = "forecasts"
register_page(__name__, path="/forecasts", title="Forecasts", prefix=PREFIX, order=20, **PLANNING)

IDS = page_ids(
    PREFIX,
    "series chart shift_dimension shift_threshold shift_grid saturation_chart"
    " saturation_table plateau_chart",
)
HISTORY_DAYS = 180


def _layout_figure(figure: go.Figure, title: str, height: int = 400) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0.01},
        font=CHART_FONT,
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 50},
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def _unit(unique_id: str) -> str:
    measure = SeriesId.parse(unique_id.removesuffix(CAPPED_SUFFIX)).measure
    return f"Revenue ({get_settings().base_currency})" if measure == "revenue" else "Orders"


def layout(**_query) -> html.Div:
    stored = read_forecasts()
    ids = sorted(u for u in stored[ID].unique() if not u.endswith(CAPPED_SUFFIX))
    if not ids:
        return dbc.Alert(
            "No forecasts yet: a data scientist starts a training run on the Models page "
            "(or run `channelperf train`).",
            color="info",
            id=f"{PREFIX}-empty",
        )
    names = channel_names()
    options = [{"label": level_series_label(u, names), "value": u} for u in ids]
    return html.Div(
        [
            html.H2("Forecasts", className="h4"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            *labelled(
                                "Series",
                                dcc.Dropdown(
                                    id=IDS.series, options=options, value=ids[0], clearable=False
                                ),
                            ),
                        ],
                        md=5,
                    )
                ],
                className="mb-2",
            ),
            html.P(coherence_note(), id=f"{PREFIX}-coherence", className="small text-muted"),
            dcc.Graph(id=IDS.chart, config={"displaylogo": False}),
            html.H3("Predicted demand shifts", className="h5 mt-4"),
            dbc.Row(
                [
                    dbc.Col(
                        inline_choice(
                            IDS.shift_dimension,
                            {"category": "Channel categories", "touchpoint": "Touchpoints"},
                        ),
                        md=5,
                    ),
                    dbc.Col(
                        [
                            dbc.Label(
                                "Flag a share change above (percentage points)",
                                className="small mb-0",
                            ),
                            dcc.Slider(
                                id=IDS.shift_threshold,
                                min=0.5,
                                max=10,
                                step=0.5,
                                value=2,
                                marks={v: str(v) for v in (1, 2, 5, 10)},
                            ),
                        ],
                        md=7,
                    ),
                ]
            ),
            data_grid(
                IDS.shift_grid,
                [
                    column("channel", "Channel", minWidth=200),
                    column("recent_share", "Recent share (last 8 weeks)", "percent"),
                    column("forecast_share", "Forecast share (next 8 weeks)", "percent"),
                    column("change", "Change (percentage points)", "signed"),
                    column("flag", "Shift"),
                ],
                "demand-shifts.csv",
                title="Share of revenue now and forecast, flagged shifts in bold",
                getRowStyle={
                    "styleConditions": [
                        {"condition": "params.data.flag !== ''", "style": {"fontWeight": "bold"}}
                    ]
                },
            ),
            html.H3("Channel saturation", className="h5 mt-4"),
            dbc.Row(
                [
                    dbc.Col(dcc.Graph(id=IDS.saturation_chart, figure=_saturation_chart()), lg=7),
                    dbc.Col(
                        dcc.Graph(id=IDS.plateau_chart, figure=_plateau_figure(stored, names)), lg=5
                    ),
                ]
            ),
        ]
    )


register_csv_export(IDS.shift_grid)


def _saturation_chart() -> go.Figure:
    return saturation_figure(touchpoint_responses(), get_settings().base_currency)


@callback(Output(IDS.chart, "figure"), *text_values(IDS.series))
def show_forecast(unique_id):
    if not unique_id:
        return empty_figure("Forecast")
    try:
        series = SeriesId.parse(unique_id)
    except ForecastingError as exc:  # an id no option offers
        return empty_figure("Forecast", str(exc))
    actual = channel_series(series.dimension, series.measure)
    actual = actual[actual[ID] == unique_id].tail(HISTORY_DAYS)
    forecast = read_forecasts([unique_id])
    label = level_series_label(unique_id, channel_names())
    figure = go.Figure()
    figure.add_scatter(x=actual[DS], y=actual[Y], name="Actual", line={"color": "#212529"})
    figure.add_scatter(
        x=pd.concat([forecast[DS], forecast[DS][::-1]]),
        y=pd.concat([forecast[UPPER], forecast[LOWER][::-1]]),
        fill="toself",
        fillcolor="rgba(13,110,253,0.18)",
        line={"width": 0},
        name=f"{int(forecast['level'].iloc[0])} % interval",
        hoverinfo="skip",
    )
    figure.add_scatter(
        x=forecast[DS],
        y=forecast[YHAT],
        name=f"Forecast ({forecast['model'].iloc[0]})",
        line={"color": "#0d6efd"},
    )
    figure.update_yaxes(title_text=_unit(unique_id), tickformat=AMOUNT_TICKS)
    figure.update_xaxes(title_text="Day")
    return _layout_figure(figure, f"{label}: daily actuals and forecast")


@callback(
    Output(IDS.shift_grid, "rowData"),
    *values(IDS.shift_dimension, IDS.shift_threshold),
)
def show_shifts(dimension, threshold):
    forecasts = read_forecasts(prefix=f"{dimension}:")
    forecasts = forecasts[forecasts[ID].str.endswith(":revenue")]
    if forecasts.empty:
        return []
    actual = channel_series(dimension, "revenue")
    shifts = demand_shifts(actual, forecasts, (threshold or 0) / 100)
    names = channel_names()
    return [
        {
            "channel": series_label(row[ID], names),
            "recent_share": row["recent_share"],
            "forecast_share": row["forecast_share"],
            "change": 100 * row["change"],
            "flag": ("▲ gaining" if row["change"] > 0 else "▼ losing") if row["flagged"] else "",
        }
        for row in shifts.to_dict("records")
    ]


def _plateau_figure(stored: pd.DataFrame, names: dict[str, str]) -> go.Figure:
    title = "Growth plateaus: capped forecast, next 12 months"
    capped = stored[stored[ID].str.endswith(CAPPED_SUFFIX) & stored[ID].str.startswith("category:")]
    if capped.empty:
        return empty_figure(title, "No capped-growth forecasts yet")
    figure = go.Figure()
    for uid, part in capped.groupby(ID, sort=True):
        days = part.set_index(DS)[YHAT]
        weekly = days.resample("W").agg(["sum", "size"])
        weekly = weekly.loc[weekly["size"] == 7, "sum"]
        figure.add_scatter(x=weekly.index, y=weekly.values, name=series_label(uid, names))
    figure.update_xaxes(title_text="Week")
    figure.update_yaxes(
        title_text=f"Weekly revenue ({get_settings().base_currency})", tickformat=AMOUNT_TICKS
    )
    return _layout_figure(figure, title)
