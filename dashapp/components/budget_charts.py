"""The Budget page's figures: spend-response curves with their bands, and the current split
beside the proposed one."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashapp.components.charts import AMOUNT_TICKS
from dashapp.components.charts import channel_bars
from dashapp.components.charts import empty_figure
from dashapp.components.charts import style

PALETTE = ("#0d6efd", "#d63384", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#6c757d", "#ffc107")


def _band(rgb: str) -> str:
    """The colour at 15 % opacity, for a band."""
    r, g, b = (int(rgb[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},0.15)"


def curves_figure(
    curves: pd.DataFrame, split: pd.DataFrame, currency: str, horizon: int
) -> go.Figure | dict:
    """One panel per channel (each on its own scale): revenue over the horizon as a function of
    the channel's budget, the 90 % band of the bootstrap fits shaded; ○ marks the current
    budget, ◆ the proposed one."""
    title = f"Spend response per channel over {horizon} days (90 % band; ○ current, ◆ proposed)"
    if curves.empty:
        return empty_figure(title, "No channel has a spend-response curve")
    columns = min(len(split), 2)
    rows = math.ceil(len(split) / columns)
    fig = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=list(split["channel_name"]),
        horizontal_spacing=0.12,
        vertical_spacing=0.16 if rows > 1 else 0.1,
    )
    for i, row in enumerate(split.itertuples(index=False)):
        color = PALETTE[i % len(PALETTE)]
        part = curves[curves["channel"] == row.channel]
        at = {"row": i // columns + 1, "col": i % columns + 1}
        fig.add_scatter(
            x=pd.concat([part["spend"], part["spend"][::-1]]),
            y=pd.concat([part["revenue_high"], part["revenue_low"][::-1]]),
            fill="toself",
            fillcolor=_band(color),
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
            **at,
        )
        fig.add_scatter(
            x=part["spend"],
            y=part["revenue"],
            mode="lines",
            line={"color": color, "width": 2},
            showlegend=False,
            hovertemplate=f"{row.channel_name}<br>budget %{{x:,.0f}} {currency} → revenue "
            f"%{{y:,.0f}} {currency}<extra></extra>",
            **at,
        )
        fig.add_scatter(
            x=[row.current, row.proposed],
            y=[row.revenue_current, row.revenue_proposed],
            mode="markers",
            marker={"symbol": ["circle-open", "diamond"], "size": 11, "color": color},
            customdata=["current", "proposed"],
            showlegend=False,
            hovertemplate=f"{row.channel_name}, %{{customdata}} budget %{{x:,.0f}} {currency}"
            f"<br>revenue %{{y:,.0f}} {currency}<extra></extra>",
            **at,
        )
        fig.update_xaxes(
            title_text=f"Budget ({currency})", tickformat=AMOUNT_TICKS, rangemode="tozero", **at
        )
        fig.update_yaxes(
            title_text=f"Revenue ({currency})", tickformat=AMOUNT_TICKS, rangemode="tozero", **at
        )
    return style(fig, title, height=300 * rows + 90, margin={"l": 70, "r": 20, "t": 80, "b": 50})


def split_figure(split: pd.DataFrame, currency: str) -> dict:
    """Grouped bars: each channel's budget now (scaled to the total) and proposed."""
    title = "Budget per channel: current split vs proposed"
    if split.empty:
        return empty_figure(title, "No split to show")
    series = [("current", "Current split", "#adb5bd"), ("proposed", "Proposed", "#0d6efd")]
    return channel_bars(title, split, series, f"Budget ({currency})", currency, height=440)
