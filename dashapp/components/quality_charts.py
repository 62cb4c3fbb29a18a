"""The Data quality page's figure: check results per validated day."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashapp.components.charts import empty_figure
from dashapp.components.charts import style


def validation_history_figure(frame: pd.DataFrame, colors: dict[str, str]) -> go.Figure:
    """Stacked bars: passed, warned and failed check results per validated day."""
    title = "Validation history: check results per validated day"
    if frame.empty:
        return empty_figure(title, "No validation runs yet")
    figure = go.Figure()
    for column, name in (("passed", "pass"), ("warned", "warn"), ("failed", "fail")):
        figure.add_bar(
            x=frame["day"],
            y=frame[column],
            name=name,
            marker_color=colors[name],
            hovertemplate="%{x|%d %b %Y}<br>%{y} results<extra>" + name + "</extra>",
        )
    style(figure, title, 340, barmode="stack")
    figure.update_yaxes(title_text="Check results (count)")
    figure.update_xaxes(title_text="Validated day")
    return figure
