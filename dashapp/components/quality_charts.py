"""The Data quality page's figure: check results per validated day."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashapp.components.charts import empty_figure
from dashapp.components.charts import style

SHORT_HISTORY_DAYS = 14
ONE_DAY_MS = 86_400_000


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
    figure.update_xaxes(title_text="Validated day", tickformat="%d %b %Y")
    days = pd.to_datetime(frame["day"])
    if days.max() - days.min() <= pd.Timedelta(days=SHORT_HISTORY_DAYS):
        # A short history would be ticked in hours ("00:00:00 Dec 6"): one tick a day.
        figure.update_xaxes(dtick=ONE_DAY_MS)
    return figure
