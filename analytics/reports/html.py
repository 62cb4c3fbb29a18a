"""The summary as an HTML email body (inline styles; the chart is referenced by content id)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment
from jinja2 import FileSystemLoader
from jinja2 import select_autoescape

from analytics.reports.summary import WeeklySummary
from analytics.reports.tables import ALERT_HEADER
from analytics.reports.tables import DECISION_HEADER
from analytics.reports.tables import KPI_HEADER
from analytics.reports.tables import MOVER_HEADER
from analytics.reports.tables import alert_rows
from analytics.reports.tables import decision_reasons
from analytics.reports.tables import decision_rows
from analytics.reports.tables import kpi_rows
from analytics.reports.tables import mover_rows

CHART_CID = "revenue-chart"

TEMPLATES = Path(__file__).resolve().parent / "templates"
_template = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True)
).get_template("weekly_summary.html")


def render_html(summary: WeeklySummary) -> str:
    return _template.render(
        s=summary,
        cid=CHART_CID,
        kpi_header=KPI_HEADER,
        kpis=kpi_rows(summary),
        mover_header=MOVER_HEADER,
        movers=mover_rows(summary),
        alert_header=ALERT_HEADER,
        alerts=alert_rows(summary),
        decision_header=DECISION_HEADER,
        decisions=decision_rows(summary),
        reasons=decision_reasons(summary),
    )
