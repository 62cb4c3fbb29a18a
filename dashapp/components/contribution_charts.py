"""The Contribution page's figures: revenue change by channel, channels side by side, and what
moved the basket value per order."""

from __future__ import annotations

import pandas as pd

from dashapp.components.charts import AMOUNT_TICKS
from dashapp.components.charts import axis
from dashapp.components.charts import bar_series
from dashapp.components.charts import empty_figure
from dashapp.components.charts import figure
from dashapp.components.charts import reference_line


def waterfall_figure(waterfall: pd.DataFrame, labels: tuple[str, str], currency: str) -> dict:
    title = f"Revenue change by channel: {labels[1]} → {labels[0]}"
    if waterfall.empty:
        return empty_figure(title)
    base_total = waterfall["revenue_base"].sum()
    now_total = waterfall["revenue_current"].sum()
    running = base_total + waterfall["change"].cumsum()
    low = min(base_total, now_total, running.min())
    high = max(base_total, now_total, running.max())
    pad = max((high - low) * 0.15, abs(high) * 0.01, 1.0)
    steps = {
        "type": "waterfall",
        "x": [labels[1], *waterfall["channel_name"], labels[0]],
        "y": [base_total, *waterfall["change"], now_total],
        "measure": ["absolute", *["relative"] * len(waterfall), "total"],
        "customdata": [
            ["", ""],
            *waterfall[["channel", "channel_name"]].to_numpy().tolist(),
            ["", ""],
        ],
        "increasing": {"marker": {"color": "#198754"}},
        "decreasing": {"marker": {"color": "#dc3545"}},
        "totals": {"marker": {"color": "#0d6efd"}},
        "connector": {"line": {"color": "#adb5bd"}},
        "hovertemplate": "%{x}<br>%{y:,.0f} " + currency + "<extra></extra>",
    }
    return figure(
        title,
        [steps],
        xaxis=axis("Channel"),
        yaxis=axis(
            f"Revenue ({currency}, axis not from zero)",
            tickformat=AMOUNT_TICKS,
            range=[low - pad, high + pad],
        ),
        showlegend=False,
    )


def index_figure(index: pd.DataFrame, level_label: str) -> dict:
    title = "Side by side: index vs all channels (100 = mix average)"
    if index.empty or index["index"].isna().all():
        return empty_figure(title)
    bars = [
        {
            "type": "bar",
            "x": part["metric_label"],
            "y": part["index"],
            "name": str(name),
            "customdata": [[channel, name]] * len(part),
            "hovertemplate": "%{x}<br>index %{y:.0f}<extra>" + str(name) + "</extra>",
        }
        for (channel, name), part in index.groupby(["channel", "channel_name"], sort=True)
    ]
    return figure(
        title,
        bars,
        barmode="group",
        xaxis=axis("Metric"),
        yaxis=axis("Index (channel ÷ all channels × 100)", type="log"),
        shapes=[reference_line(100, dash="dot", color="#6c757d")],
    )


def aov_figure(drivers: pd.DataFrame, currency: str, baseline_label: str) -> dict:
    title = f"What moved basket value per order vs {baseline_label.lower()}"
    rows = (
        drivers[drivers.get("status", pd.Series(dtype=str)) == "continuing"]
        if not drivers.empty
        else drivers
    )
    if rows.empty:
        return empty_figure(title)
    effects = [
        ("units_per_order_effect", "Units per order", "#0d6efd"),
        ("mix_effect", "Product mix", "#6f42c1"),
        ("within_category_price_effect", "Price within category", "#fd7e14"),
    ]
    bars = bar_series(rows, "channel_name", effects, "+,.2f", currency, drillable=True)
    return figure(
        title,
        bars,
        barmode="relative",
        xaxis=axis("Channel"),
        yaxis=axis(f"Effect per order ({currency})"),
    )
