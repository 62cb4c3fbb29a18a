"""Figure builders: every chart has a title, axis titles with units and readable labels."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

# Every figure takes the house template by default: naming it per figure makes plotly
# rebuild it each time (about 12 ms a chart, most of a callback's time).
pio.templates.default = "plotly_white"

CHART_FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13}


def styled(figure: go.Figure, title: str, height: int = 400) -> go.Figure:
    """The house style every chart shares: left-aligned title, white template, legend below."""
    figure.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        font=CHART_FONT,
        height=height,
        margin={"l": 70, "r": 20, "t": 60, "b": 60},
        legend={"orientation": "h", "y": -0.22},
    )
    return figure


def _base(title: str, height: int = 380) -> go.Figure:
    return styled(go.Figure(), title, height)


def empty_figure(title: str, message: str = "No data for this selection") -> go.Figure:
    figure = _base(title)
    figure.add_annotation(text=message, showarrow=False, font={"size": 15, "color": "#6c757d"})
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return figure


def revenue_by_channel(
    frame: pd.DataFrame, currency: str, period_labels: dict[str, str]
) -> go.Figure:
    """Grouped bars: revenue per channel this period, the prior period and last year."""
    title = "Revenue by channel"
    if frame.empty:
        return empty_figure(title)
    figure = _base(title)
    for column, name, color in (
        ("revenue", period_labels["now"], "#0d6efd"),
        ("revenue_prior", period_labels["prior"], "#adb5bd"),
        ("revenue_ly", period_labels["ly"], "#6f42c1"),
    ):
        figure.add_bar(
            x=frame["channel_name"],
            y=frame[column],
            name=name,
            marker_color=color,
            hovertemplate="%{x}<br>%{y:,.0f} " + currency + "<extra>" + name + "</extra>",
        )
    figure.update_layout(barmode="group")
    figure.update_yaxes(title_text=f"Revenue ({currency})", tickformat="~s")
    figure.update_xaxes(title_text="Channel")
    return figure


def share_of_total(frame: pd.DataFrame) -> go.Figure:
    """100 % stacked bars: each channel's share of monthly revenue."""
    title = "Share of total revenue by month"
    if frame.empty:
        return empty_figure(title)
    figure = _base(title)
    for channel, part in frame.groupby("channel_name", sort=False):
        figure.add_bar(
            x=part["month"],
            y=part["share"],
            name=str(channel),
            hovertemplate="%{x|%b %Y}<br>%{y:.1%}<extra>" + str(channel) + "</extra>",
        )
    figure.update_layout(barmode="stack")
    figure.update_yaxes(title_text="Share of revenue (%)", tickformat=".0%", range=[0, 1])
    figure.update_xaxes(title_text="Month", tickformat="%b %Y", dtick="M1")
    return figure
