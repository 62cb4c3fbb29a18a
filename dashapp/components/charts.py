"""Figure builders: every chart has a title, axis titles with units and readable labels.

The executive pages' charts are plain dicts ({"data": [...], "layout": {...}}) that dcc.Graph
draws as they are: building plotly graph objects validates every property, 12-20 ms a chart
and a quarter of a page callback. Traces may hold pandas Series and numpy arrays: Dash's
plotly JSON encoder serialises them.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
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


def style(figure: go.Figure, title: str, height: int = 400, **layout) -> go.Figure:
    """A graph-objects figure (pages that build ``go.Figure``) in the house style."""
    figure.update_layout(house_style(title, height) | layout)
    return figure


UNIT_LABELS = {"percent": "%", "count": "count", "ratio": "×"}


def unit_label(unit: str, currency: str) -> str:
    """What an axis title says a metric unit is: the currency code, %, count or ×."""
    return currency if unit == "currency" else UNIT_LABELS.get(unit, unit)


# Amounts on an axis as Plotly abbreviates them by default (500k, 1.5M, 2B): d3's SI format
# ("~s") wrote billions as "2G" and half a unit as "500m".
AMOUNT_TICKS = ""


def axis(title: str, **options) -> dict:
    """An axis with its title (say the unit) and plotly axis options such as tickformat."""
    return {"title": {"text": title}, **options}


def bar_series(
    frame: pd.DataFrame,
    x: str,
    series: list[tuple[str, str, str]],
    value_format: str,
    unit: str,
    drillable: bool = False,
) -> list[dict]:
    """One bar trace per ``(column, name, color)`` of ``series`` over ``frame[x]``; hovering
    shows the value as ``value_format`` in ``unit``. Drillable bars carry each row's channel
    code and name."""
    custom = {"customdata": frame[["channel", "channel_name"]].to_numpy()} if drillable else {}
    return [
        {
            "type": "bar",
            "x": frame[x],
            "y": frame[column],
            "name": name,
            "marker": {"color": color},
            "hovertemplate": f"%{{x}}<br>%{{y:{value_format}}} {unit}<extra>{name}</extra>",
            **custom,
        }
        for column, name, color in series
    ]


def status_bars(x, y, statuses, palette: dict[str, str], **trace) -> dict:
    """A bar trace coloured bar by bar: each by its status (``palette``: status → colour)."""
    colors = [palette[s] for s in statuses]
    return {"type": "bar", "x": x, "y": y, "marker": {"color": colors}, **trace}


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
    periods = [
        ("revenue", period_labels["now"], "#0d6efd"),
        ("revenue_prior", period_labels["prior"], "#adb5bd"),
        ("revenue_ly", period_labels["ly"], "#6f42c1"),
    ]
    return channel_bars(title, frame, periods, f"Revenue ({currency})", currency, height=380)


def channel_bars(
    title: str,
    frame: pd.DataFrame,
    series: list[tuple[str, str, str]],
    amount: str,
    currency: str,
    height: int = 400,
) -> dict:
    """Grouped bars of an amount per channel (``channel_name``), one bar per
    ``(column, legend name, colour)`` of ``series``; ``amount`` titles the y axis."""
    bars = bar_series(frame, "channel_name", series, ",.0f", currency)
    return figure(
        title,
        bars,
        height=height,
        barmode="group",
        xaxis=axis("Channel"),
        yaxis=axis(amount, tickformat=AMOUNT_TICKS),
    )


def share_of_total(
    frame: pd.DataFrame,
    title: str = "Share of gross sales by month",
    bucket: str = "month",
    height: int = 380,
) -> dict:
    """100 % stacked bars: each channel's share of gross sales per month (before refunds, so
    every share lies in 0–100 % even where refunds outweigh a channel's sales). The bars of a
    frame with channel codes (``channel``) carry code and name, so a click can drill into the
    channel."""
    if frame.empty:
        return empty_figure(title)
    drillable = "channel" in frame.columns
    keys = ["channel", "channel_name"] if drillable else ["channel_name"]
    bars = []
    for _key, part in frame.groupby(keys, sort=drillable):
        name = str(part["channel_name"].iloc[0])
        bar = {
            "type": "bar",
            "x": part[bucket],
            "y": part["share"],
            "name": name,
            "hovertemplate": "%{x|%b %Y}<br>%{y:.1%} of gross sales<extra>" + name + "</extra>",
        }
        if drillable:
            bar["customdata"] = [[part["channel"].iloc[0], name]] * len(part)
        bars.append(bar)
    return figure(
        title,
        bars,
        height=height,
        barmode="stack",
        xaxis=axis("Month", tickformat="%b %Y", dtick="M1"),
        yaxis=axis("Share of gross sales (%)", tickformat=".0%", range=[0, 1]),
    )
