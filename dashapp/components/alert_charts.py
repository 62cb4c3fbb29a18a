"""Alert figures: the metric's history with its expected band and the alert point, and the
traffic / conversion / AOV effects of the alert's breakdown."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashapp.components.charts import empty_figure
from dashapp.components.charts import style
from dashapp.components.charts import unit_label

# Above the plot, right-aligned: the band's legend entries would hide the latest buckets.
LEGEND_ABOVE = {
    "legend": {"orientation": "h", "x": 1, "xanchor": "right", "y": 1.0, "yanchor": "bottom"},
    "margin": {"l": 70, "r": 20, "t": 80, "b": 50},
}


def metric_history_figure(
    history: pd.DataFrame,
    alert_point: tuple,
    metric_label: str,
    unit: str,
    currency: str,
    grain: str,
) -> go.Figure:
    """Observed metric per bucket, the expected value and band, and the alert's bucket marked."""
    title = f"{metric_label} per {grain} with the expected range"
    if history.empty:
        return empty_figure(title)
    scale = 100.0 if unit == "percent" else 1.0
    figure = go.Figure()
    if history["lower"].notna().any() and history["upper"].notna().any():
        figure.add_scatter(
            x=history["ds"],
            y=history["upper"] * scale,
            mode="lines",
            line={"width": 0},
            showlegend=False,
            hoverinfo="skip",
        )
        figure.add_scatter(
            x=history["ds"],
            y=history["lower"] * scale,
            mode="lines",
            line={"width": 0},
            fill="tonexty",
            fillcolor="rgba(13,110,253,0.15)",
            name="Expected band",
        )
    else:
        for column, name in (("lower", "Lower limit"), ("upper", "Upper limit")):
            if history[column].notna().any():
                figure.add_scatter(
                    x=history["ds"],
                    y=history[column] * scale,
                    mode="lines",
                    name=name,
                    line={"color": "#dc3545", "dash": "dot"},
                )
    if history["expected"].notna().any():
        figure.add_scatter(
            x=history["ds"],
            y=history["expected"] * scale,
            mode="lines",
            name="Expected",
            line={"color": "#6c757d", "dash": "dash"},
        )
    figure.add_scatter(
        x=history["ds"],
        y=history["observed"] * scale,
        mode="lines+markers",
        name="Observed",
        line={"color": "#0d6efd"},
        marker={"size": 4},
    )
    when, value = alert_point
    if value is not None:
        figure.add_scatter(
            x=[when],
            y=[value * scale],
            mode="markers",
            name="Alert",
            marker={"color": "#dc3545", "size": 14, "symbol": "x"},
        )
    style(figure, title, 380, **LEGEND_ABOVE)
    figure.update_yaxes(title_text=f"{metric_label} ({unit_label(unit, currency)})")
    figure.update_xaxes(title_text=grain.capitalize())
    return figure


def effects_figure(totals: dict[str, float], currency: str) -> go.Figure:
    """Bars: how much of the revenue change traffic, conversion, AOV and refunds explain."""
    title = "What moved revenue: traffic vs conversion vs AOV"
    if not totals:
        return empty_figure(title, "No split for this alert")
    labels = {
        "traffic_effect": "Traffic",
        "conversion_effect": "Conversion",
        "aov_effect": "Average order value",
        "refunds_effect": "Refunds",
    }
    names = [labels[k] for k in totals]
    values = list(totals.values())
    figure = go.Figure(
        go.Bar(
            x=names,
            y=values,
            marker_color=["#198754" if v >= 0 else "#dc3545" for v in values],
            # Rounded first: an effect of −0.3 reads "+0", not "-0".
            text=[f"{round(v):+,}" for v in values],
            textposition="outside",
        )
    )
    style(figure, title, 340, **LEGEND_ABOVE)
    figure.update_yaxes(title_text=f"Effect on revenue ({currency})")
    figure.update_xaxes(title_text="Driver")
    return figure
