"""The Pricing page's figures: elasticities with their 95 % intervals, and the recommended
price move per channel with its range."""

from __future__ import annotations

import pandas as pd

from dashapp.components.charts import axis
from dashapp.components.charts import empty_figure
from dashapp.components.charts import figure

USABLE = "#0d6efd"
UNCERTAIN = "#adb5bd"


def _vertical(x: float, dash: str = "solid") -> dict:
    return {
        "type": "line",
        "xref": "x",
        "x0": x,
        "x1": x,
        "yref": "y domain",
        "y0": 0,
        "y1": 1,
        "line": {"color": "#495057", "width": 1, "dash": dash},
    }


def _error_x(part: pd.DataFrame, value: str, low: str, high: str, color: str) -> dict:
    """Asymmetric horizontal error bars from ``low`` to ``high`` around ``value``."""
    return {
        "type": "data",
        "symmetric": False,
        "array": part[high] - part[value],
        "arrayminus": part[value] - part[low],
        "color": color,
        "thickness": 2,
    }


def _split(frame: pd.DataFrame, ok, names: tuple[str, str], trace) -> list[dict]:
    """One ``trace(rows, legend name, colour)`` for the rows one can act on and one for the
    rest, each left out when it has no rows."""
    parts = [(frame[ok], names[0], USABLE), (frame[~ok], names[1], UNCERTAIN)]
    return [trace(part, name, color) for part, name, color in parts if not part.empty]


def elasticity_figure(frame: pd.DataFrame, name_column: str, title: str) -> dict:
    """Each estimate as a point with its 95 % interval; 0 (no response) and −1 (unit elastic)
    marked. Rows without an estimate are left out (the grid says why)."""
    rows = frame.dropna(subset=["elasticity"]) if not frame.empty else frame
    if rows.empty:
        return empty_figure(title, "No elasticity could be estimated for this selection")
    rows = rows.sort_values("elasticity", ascending=False)

    def points(part: pd.DataFrame, name: str, color: str) -> dict:
        return {
            "type": "scatter",
            "mode": "markers",
            "x": part["elasticity"],
            "y": part[name_column],
            "name": name,
            "marker": {"color": color, "size": 10},
            "error_x": _error_x(part, "elasticity", "ci_low", "ci_high", color),
            "customdata": part[["ci_low", "ci_high", "method", "n"]].to_numpy(),
            "hovertemplate": "%{y}: elasticity %{x:.2f}<br>95 % interval %{customdata[0]:.2f}"
            " to %{customdata[1]:.2f}<br>%{customdata[2]}, n = %{customdata[3]}"
            "<extra></extra>",
        }

    usable = rows["warning"].fillna("") == ""
    traces = _split(rows, usable, ("Usable estimate", "Too uncertain to act on"), points)
    return figure(
        title,
        traces,
        height=max(300, 34 * len(rows) + 160),
        xaxis=axis("Own-price elasticity (% change in units per 1 % price change)"),
        yaxis=axis("", automargin=True),
        shapes=[_vertical(0), _vertical(-1, "dot")],
        legend={"orientation": "h", "y": -0.3},
    )


def price_move_figure(channels: pd.DataFrame, floor: float) -> dict:
    """The margin-maximising price change per channel, with the range the elasticity's
    interval allows."""
    title = f"Recommended price change (keeping ≥ {floor:.0%} of units)"
    rows = channels.dropna(subset=["price_change"]) if not channels.empty else channels
    if rows.empty:
        return empty_figure(title, "No price move can be computed for this selection")

    def bars(part: pd.DataFrame, name: str, color: str) -> dict:
        return {
            "type": "bar",
            "orientation": "h",
            "x": part["price_change"],
            "y": part["channel_name"],
            "name": name,
            "marker": {"color": color},
            "error_x": _error_x(part, "price_change", "change_low", "change_high", "#495057"),
            "customdata": part[["margin_change", "units_change"]].to_numpy(),
            "hovertemplate": "%{y}: %{x:+.1%}<br>margin %{customdata[0]:+,.0f}, "
            "units %{customdata[1]:+,.0f}<extra></extra>",
        }

    actionable = rows["actionable"].astype(bool)
    traces = _split(rows, actionable, ("Recommended", "Not recommended"), bars)
    return figure(
        title,
        traces,
        height=max(300, 34 * len(rows) + 160),
        barmode="overlay",
        xaxis=axis("Price change (%, range from the 95 % interval)", tickformat="+.0%"),
        yaxis=axis("", automargin=True),
        shapes=[_vertical(0)],
        legend={"orientation": "h", "y": -0.3},
    )
