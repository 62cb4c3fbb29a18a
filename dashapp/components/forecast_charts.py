"""Forecast figures: spend response per touchpoint."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dashapp.components.charts import AMOUNT_TICKS
from dashapp.components.charts import empty_figure
from dashapp.components.charts import style
from forecasting.saturation import SaturationCurve
from forecasting.spend_response import TouchpointResponse

# How far past a touchpoint's largest daily spend its curve is drawn (dashed: extrapolated).
HEADROOM = 1.5
CURVE_POINTS = 60


def _curve_part(curve: SaturationCurve, start: float, end: float) -> dict:
    """The curve's points from ``start`` to ``end`` daily spend, as a trace's x and y."""
    spend = np.linspace(start, end, CURVE_POINTS)
    return {"x": spend, "y": curve.response(spend)}


def _break_even_label(stop: float, curve: SaturationCurve, currency: str) -> str:
    """Where extra spend stops paying, said as beyond the data when no day spent that much."""
    amount = f"{stop:,.0f} {currency}/day"
    if stop > curve.max_observed_spend:
        return f"break-even beyond the data (≈ {amount})"
    return f"extra spend stops paying above {amount}"


def saturation_figure(responses: list[TouchpointResponse], currency: str) -> go.Figure:
    """Each touchpoint's fitted spend-response curve over the spend its data covers (solid),
    extrapolated (dashed) to ``HEADROOM`` × its largest daily spend or to its break-even, on an
    axis up to ``HEADROOM`` × the largest daily spend of any touchpoint; ✕ where extra spend
    stops paying, or, past the axis, the legend says where."""
    title = "Spend response per touchpoint (daily revenue vs daily spend)"
    if not responses:
        return empty_figure(title, "No marketing spend recorded")
    seen_most = [r.curve.max_observed_spend for r in responses if r.curve is not None]
    end = HEADROOM * max(seen_most, default=1.0)
    figure = go.Figure()
    for i, response in enumerate(responses):
        curve, stop, name = response.curve, response.break_even_spend, response.name
        if curve is None:
            continue
        seen = curve.max_observed_spend
        shown = stop <= end
        reach = max(HEADROOM * seen, stop if shown else 0.0)
        label = _break_even_label(stop, curve, currency)
        color = f"hsl({(i * 77) % 360},60%,45%)"
        spend = f"%{{x:,.0f}} {currency}"
        figure.add_scatter(
            **_curve_part(curve, 0.0, seen),
            name=name if shown else f"{name}: {label}",
            legendgroup=name,
            line={"color": color},
            hovertemplate=f"{name}: %{{y:,.0f}} {currency} at {spend}"
            + ("" if shown else f"<br>{label}")
            + "<extra></extra>",
        )
        figure.add_scatter(
            **_curve_part(curve, seen, reach),
            name=name,
            legendgroup=name,
            showlegend=False,
            line={"color": color, "dash": "dash"},
            hovertemplate=f"{name}, extrapolated past the largest daily spend: "
            f"%{{y:,.0f}} {currency} at {spend}<extra></extra>",
        )
        if shown:
            figure.add_scatter(
                x=[stop],
                y=curve.response([stop]),
                mode="markers",
                name=name,
                legendgroup=name,
                showlegend=False,
                marker={"symbol": "x", "size": 11, "color": color},
                hovertemplate=f"{name}: {label}<extra></extra>",
            )
    figure.update_xaxes(
        title_text=f"Daily spend ({currency}) — dashed: extrapolated; ✕: marginal return < 1",
        range=[0, end],
    )
    figure.update_yaxes(title_text=f"Daily revenue ({currency})", tickformat=AMOUNT_TICKS)
    return style(figure, title)
