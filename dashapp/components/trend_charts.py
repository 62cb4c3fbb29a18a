"""The Trends page's figures: trend strength per channel, and the weekly series."""

from __future__ import annotations

from analytics.metrics import METRICS
from analytics.views.trends import TrendsView
from dashapp.components.charts import AMOUNT_TICKS
from dashapp.components.charts import axis
from dashapp.components.charts import empty_figure
from dashapp.components.charts import figure
from dashapp.components.charts import status_bars
from dashapp.components.charts import unit_label

DIRECTION_COLORS = {
    "rising": "#198754",
    "declining": "#dc3545",
    "flat": "#adb5bd",
    "sparse": "#dee2e6",
}


def strength_figure(view: TrendsView, metric: str, level_label: str) -> dict:
    label = METRICS[metric].label
    title = f"{label}: trend over the period by {level_label.lower()}"
    rows = view.table[view.table["metric"] == metric].sort_values("relative_slope")
    if rows.empty:
        return empty_figure(title)
    bar = status_bars(
        rows["relative_slope"],
        rows["channel_name"],
        rows["direction"],
        DIRECTION_COLORS,
        orientation="h",
        customdata=rows[["channel", "channel_name", "direction", "p_value"]].to_numpy(),
        hovertemplate="%{y}<br>%{x:+.1f}% of the mean level over the period"
        "<br>%{customdata[2]} (p = %{customdata[3]:.3g})<extra></extra>",
    )
    legend_note = {
        "text": "green: rising · red: declining · grey: no significant trend",
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 1.06,
        "showarrow": False,
        "font": {"size": 11, "color": "#6c757d"},
    }
    return figure(
        title,
        [bar],
        xaxis=axis("Theil–Sen trend over the period (% of mean level)", ticksuffix="%"),
        yaxis=axis(level_label, automargin=True),
        annotations=[legend_note],
    )


def weekly_figure(view: TrendsView, metric: str, level_label: str, currency: str) -> dict:
    info = METRICS[metric]
    unit = unit_label(info.unit, currency)
    title = f"Weekly {info.label.lower()} by {level_label.lower()}"
    weekly = view.weekly[view.weekly["metric"] == metric]
    if weekly.empty:
        return empty_figure(title)
    lines = [
        {
            "type": "scatter",
            "x": part["week"],
            "y": part["value"],
            "mode": "lines",
            "name": str(name),
            "customdata": [[channel, name]] * len(part),
            "hovertemplate": "Week of %{x|%d %b %Y}<br>%{y:,.4~g}<extra>" + str(name) + "</extra>",
        }
        for (channel, name), part in weekly.groupby(["channel", "channel_name"], sort=True)
    ]
    ticks = {"percent": ".1%", "currency": AMOUNT_TICKS, "count": AMOUNT_TICKS, "ratio": ".2f"}
    tick = ticks[info.unit]
    return figure(
        title,
        lines,
        xaxis=axis("Week (starting Monday)", tickformat="%d %b %Y"),
        yaxis=axis(f"{info.label} ({unit})", tickformat=tick, rangemode="tozero"),
        showlegend=True,
    )
