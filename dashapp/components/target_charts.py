"""The Targets & variance page's figures: revenue against target, and why it missed."""

from __future__ import annotations

import pandas as pd

from analytics.decomposition import EFFECTS
from dashapp.components.charts import AMOUNT_TICKS
from dashapp.components.charts import axis
from dashapp.components.charts import bar_series
from dashapp.components.charts import empty_figure
from dashapp.components.charts import figure
from dashapp.components.charts import reference_line
from dashapp.components.charts import status_bars

RAG_COLORS = {"green": "#198754", "amber": "#ffc107", "red": "#dc3545", "none": "#adb5bd"}
EFFECT_LABELS = {
    "traffic_effect": "Traffic",
    "conversion_effect": "Conversion",
    "aov_effect": "Average order value",
}


def variance_figure(table: pd.DataFrame, level_label: str, currency: str) -> dict:
    title = f"Revenue: actual vs target by {level_label.lower()}"
    rows = table[(table["metric"] == "revenue") & (table["channel"] != "total")]
    if rows.empty:
        return empty_figure(title)
    custom = rows[["channel", "channel_name"]].to_numpy()
    actual = status_bars(
        rows["channel_name"],
        rows["actual"],
        rows["status"],
        RAG_COLORS,
        name="Actual",
        customdata=custom,
        hovertemplate="%{x}<br>actual %{y:,.0f} " + currency + "<extra></extra>",
    )
    target = {
        "type": "scatter",
        "x": rows["channel_name"],
        "y": rows["target"],
        "name": "Target",
        "mode": "markers",
        "marker": {
            "symbol": "line-ew-open",
            "size": 40,
            "color": "#212529",
            "line": {"width": 3, "color": "#212529"},
        },
        "customdata": custom,
        "hovertemplate": "%{x}<br>target %{y:,.0f} " + currency + "<extra></extra>",
    }
    return figure(
        title,
        [actual, target],
        xaxis=axis(level_label),
        yaxis=axis(f"Revenue ({currency})", tickformat=AMOUNT_TICKS),
    )


def effects_figure(effects: pd.DataFrame, currency: str) -> dict:
    title = "Why revenue is off target: traffic, conversion and AOV effects"
    rows = effects[effects["status"] != "total"] if not effects.empty else effects
    if rows.empty:
        return empty_figure(title, "No channel here has revenue, conversion and AOV targets")
    colors = ("#0d6efd", "#6f42c1", "#fd7e14")
    effects = [(e, EFFECT_LABELS[e], c) for e, c in zip(EFFECTS, colors, strict=True)]
    bars = bar_series(rows, "channel_name", effects, "+,.0f", currency, drillable=True)
    variance = {
        "type": "scatter",
        "x": rows["channel_name"],
        "y": rows["variance"],
        "mode": "markers",
        "name": "Variance to target",
        "marker": {"symbol": "diamond", "size": 11, "color": "#212529"},
        "hovertemplate": "%{x}<br>variance %{y:+,.0f} " + currency + "<extra></extra>",
    }
    return figure(
        title,
        [*bars, variance],
        barmode="relative",
        xaxis=axis("Channel"),
        yaxis=axis(f"Effect on revenue vs target ({currency})", tickformat=AMOUNT_TICKS),
        shapes=[reference_line(0, color="#6c757d")],
    )
