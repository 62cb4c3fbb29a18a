"""Figure builders: every chart has a title, axis titles with units and readable labels.

The executive pages' charts are plain dicts ({"data": [...], "layout": {...}}) that dcc.Graph
draws as they are: building plotly graph objects validates every property, 12-20 ms a chart
and a quarter of a page callback. Traces may hold pandas Series and numpy arrays: Dash's
plotly JSON encoder serialises them.
"""

from __future__ import annotations

import pandas as pd
import plotly.io as pio

# go.Figure (other pages) takes the house template by default: naming it per figure makes
# plotly rebuild it each time. Dict figures carry it in their layout, computed once here.
pio.templates.default = "plotly_white"
TEMPLATE = pio.templates["plotly_white"].to_plotly_json()

CHART_FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13}


def house_style(title: str, height: int = 400) -> dict:
    """The layout every chart shares: left-aligned title, house font, legend below."""
    return {
        "title": {"text": title, "x": 0.01, "xanchor": "left"},
        "font": CHART_FONT,
        "height": height,
        "margin": {"l": 70, "r": 20, "t": 60, "b": 60},
        "legend": {"orientation": "h", "y": -0.22},
    }


def figure(title: str, traces: list[dict], height: int = 400, **layout) -> dict:
    """A dict figure in the house style and template; ``layout`` adds axes, barmode, shapes..."""
    return {
        "data": traces,
        "layout": {"template": TEMPLATE, **house_style(title, height), **layout},
    }


def axis(title: str, **options) -> dict:
    """An axis with its title (say the unit) and plotly axis options such as tickformat."""
    return {"title": {"text": title}, **options}


def reference_line(y: float, **line) -> dict:
    """A horizontal line across the plot at ``y`` (a layout shape, as plotly's add_hline)."""
    return {
        "type": "line",
        "xref": "x domain",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": y,
        "y1": y,
        "line": line,
    }


def empty_figure(title: str, message: str = "No data for this selection") -> dict:
    return figure(
        title,
        [],
        height=380,
        annotations=[
            {"text": message, "showarrow": False, "font": {"size": 15, "color": "#6c757d"}}
        ],
        xaxis={"visible": False},
        yaxis={"visible": False},
    )


def revenue_by_channel(frame: pd.DataFrame, currency: str, period_labels: dict[str, str]) -> dict:
    """Grouped bars: revenue per channel this period, the prior period and last year."""
    title = "Revenue by channel"
    if frame.empty:
        return empty_figure(title)
    bars = [
        {
            "type": "bar",
            "x": frame["channel_name"],
            "y": frame[column],
            "name": name,
            "marker": {"color": color},
            "hovertemplate": "%{x}<br>%{y:,.0f} " + currency + "<extra>" + name + "</extra>",
        }
        for column, name, color in (
            ("revenue", period_labels["now"], "#0d6efd"),
            ("revenue_prior", period_labels["prior"], "#adb5bd"),
            ("revenue_ly", period_labels["ly"], "#6f42c1"),
        )
    ]
    return figure(
        title,
        bars,
        height=380,
        barmode="group",
        xaxis=axis("Channel"),
        yaxis=axis(f"Revenue ({currency})", tickformat="~s"),
    )


def share_of_total(frame: pd.DataFrame) -> dict:
    """100 % stacked bars: each channel's share of monthly revenue."""
    title = "Share of total revenue by month"
    if frame.empty:
        return empty_figure(title)
    bars = [
        {
            "type": "bar",
            "x": part["month"],
            "y": part["share"],
            "name": str(channel),
            "hovertemplate": "%{x|%b %Y}<br>%{y:.1%}<extra>" + str(channel) + "</extra>",
        }
        for channel, part in frame.groupby("channel_name", sort=False)
    ]
    return figure(
        title,
        bars,
        height=380,
        barmode="stack",
        xaxis=axis("Month", tickformat="%b %Y", dtick="M1"),
        yaxis=axis("Share of revenue (%)", tickformat=".0%", range=[0, 1]),
    )
