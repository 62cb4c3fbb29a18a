"""The Attribution page's figures: every model's credit per channel, its difference from last
touch, and the most frequent paths."""

from __future__ import annotations

import pandas as pd

from dashapp.components.charts import AMOUNT_TICKS
from dashapp.components.charts import axis
from dashapp.components.charts import empty_figure
from dashapp.components.charts import figure
from dashapp.components.charts import reference_line

# Last touch, the baseline, in grey; the other models in distinct hues.
MODEL_COLORS = {
    "first": "#0d6efd",
    "last": "#6c757d",
    "linear": "#20c997",
    "time_decay": "#fd7e14",
    "position": "#6f42c1",
    "markov": "#d63384",
    "shapley": "#198754",
}


def measure_label(measure: str, currency: str) -> str:
    return "Conversions" if measure == "conversions" else f"Conversion value ({currency})"


def _model_bars(comparison: pd.DataFrame, column: str, unit: str, drillable: bool) -> list[dict]:
    bars = []
    value_format = ",.1f" if unit == "conversions" else ",.0f"
    for model, part in comparison.groupby("model", sort=False):
        label = str(part["model_label"].iloc[0])
        bar = {
            "type": "bar",
            "x": part["channel_name"],
            "y": part[column],
            "name": label,
            "marker": {"color": MODEL_COLORS.get(str(model), "#adb5bd")},
            "hovertemplate": f"%{{x}}<br>%{{y:{value_format}}} {unit}<extra>{label}</extra>",
        }
        if drillable:
            bar["customdata"] = part[["channel", "channel_name"]].to_numpy()
        bars.append(bar)
    return bars


def credit_figure(
    comparison: pd.DataFrame, measure: str, level_label: str, currency: str, drillable: bool
) -> dict:
    """Grouped bars: what each model credits each channel with."""
    label = measure_label(measure, currency)
    title = f"{label.split(' (')[0]} credited per {level_label.lower()}, every model"
    if comparison.empty:
        return empty_figure(title, "No converting journeys for this selection")
    unit = "conversions" if measure == "conversions" else currency
    return figure(
        title,
        _model_bars(comparison, measure, unit, drillable),
        height=420,
        barmode="group",
        xaxis=axis(level_label),
        yaxis=axis(label, tickformat=AMOUNT_TICKS if measure == "value" else ",.0f"),
        legend={"orientation": "h", "y": -0.25},
    )


def difference_figure(
    comparison: pd.DataFrame, measure: str, level_label: str, currency: str, drillable: bool
) -> dict:
    """Grouped bars: each model's credit minus last touch's (above zero: last touch under-credits
    the channel)."""
    label = measure_label(measure, currency)
    title = "Difference from last touch (model − last touch)"
    others = comparison[comparison["model"] != "last"]
    if others.empty:
        return empty_figure(title, "No converting journeys for this selection")
    unit = "conversions" if measure == "conversions" else currency
    return figure(
        title,
        _model_bars(others, f"{measure}_difference", unit, drillable),
        height=420,
        barmode="group",
        xaxis=axis(level_label),
        yaxis=axis(f"Δ {label[0].lower()}{label[1:]}", zeroline=True, tickformat=",.0f"),
        shapes=[reference_line(0, color="#212529", width=1)],
        legend={"orientation": "h", "y": -0.25},
    )


def paths_figure(paths: pd.DataFrame) -> dict:
    """Horizontal bars: journeys per path, the most frequent on top, converting share in hover."""
    title = "Most frequent paths (journeys; hover for conversion rate and length)"
    if paths.empty:
        return empty_figure(title, "No journeys for this selection")
    ordered = paths.iloc[::-1]
    bars = [
        {
            "type": "bar",
            "orientation": "h",
            "x": ordered["conversions"],
            "y": ordered["path"],
            "name": "Converted",
            "marker": {"color": "#198754"},
            "customdata": ordered[["conversion_rate", "length"]].to_numpy(),
            "hovertemplate": "%{y}<br>%{x:,.0f} converted · conversion rate "
            "%{customdata[0]:.1%} · %{customdata[1]} touches<extra></extra>",
        },
        {
            "type": "bar",
            "orientation": "h",
            "x": ordered["journeys"] - ordered["conversions"],
            "y": ordered["path"],
            "name": "Did not convert",
            "marker": {"color": "#adb5bd"},
            "hovertemplate": "%{y}<br>%{x:,.0f} did not convert<extra></extra>",
        },
    ]
    return figure(
        title,
        bars,
        height=max(320, 26 * len(paths) + 140),
        barmode="stack",
        xaxis=axis("Journeys (count)"),
        yaxis=axis("", automargin=True),
        margin={"l": 20, "r": 20, "t": 60, "b": 60},
        legend={"orientation": "h", "y": -0.12},
    )
