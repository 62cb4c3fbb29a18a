"""Forecast figures: spend response per touchpoint."""

from __future__ import annotations

import plotly.graph_objects as go

from dashapp.components.charts import AMOUNT_TICKS
from dashapp.components.charts import empty_figure
from dashapp.components.charts import style
from forecasting.spend_response import TouchpointResponse


def saturation_figure(responses: list[TouchpointResponse], currency: str) -> go.Figure:
    """Each touchpoint's fitted spend-response curve, ✕ where extra spend stops paying."""
    title = "Spend response per touchpoint (daily revenue vs daily spend)"
    if not responses:
        return empty_figure(title, "No marketing spend recorded")
    figure = go.Figure()
    for i, response in enumerate(responses):
        curve, stop, name = response.curve, response.break_even_spend, response.name
        if curve is None:
            continue
        points = curve.points(60, max(1.5 * curve.max_observed_spend, 1.2 * stop))
        color = f"hsl({(i * 77) % 360},60%,45%)"
        figure.add_scatter(
            x=points["spend"], y=points["response"], name=name, line={"color": color}
        )
        figure.add_scatter(
            x=[stop],
            y=curve.response([stop]),
            mode="markers",
            showlegend=False,
            marker={"symbol": "x", "size": 11, "color": color},
            hovertemplate=f"{name}: extra spend stops paying above %{{x:,.0f}} {currency}"
            "<extra></extra>",
        )
    figure.update_xaxes(title_text=f"Daily spend ({currency}) — ✕ marks marginal return < 1")
    figure.update_yaxes(title_text=f"Daily revenue ({currency})", tickformat=AMOUNT_TICKS)
    return style(figure, title)
