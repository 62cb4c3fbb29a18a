"""The summary as a PDF (reportlab): the same tables as the email, and the chart."""

from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Image
from reportlab.platypus import Paragraph
from reportlab.platypus import SimpleDocTemplate
from reportlab.platypus import Spacer
from reportlab.platypus import Table
from reportlab.platypus import TableStyle

from analytics.reports import tables
from analytics.reports.chart import revenue_chart_png
from analytics.reports.summary import WeeklySummary

TABLE_STYLE = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("LINEBELOW", (0, 0), (-1, 0), 1, colors.HexColor("#495057")),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#dee2e6")),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
)


DECISION_WIDTHS = [9.4 * cm, 3.4 * cm, 1.9 * cm, 2.7 * cm]


def _table(header, rows, widths=None) -> Table:
    table = Table([header, *rows], colWidths=widths, hAlign="LEFT", repeatRows=1)
    table.setStyle(TABLE_STYLE)
    return table


def render_pdf(summary: WeeklySummary, chart_png: bytes | None = None) -> bytes:
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title="Weekly executive summary",
        author="Channel Performance",
        leftMargin=1.8 * cm,
        rightMargin=1.8 * cm,
        topMargin=1.5 * cm,
        bottomMargin=1.5 * cm,
    )
    period, prior = summary.period, summary.prior
    story = [
        Paragraph("Weekly executive summary", styles["Title"]),
        Paragraph(
            f"{period.start:%d %b %Y} – {period.end:%d %b %Y} compared with the prior week "
            f"({prior.start:%d %b} – {prior.end:%d %b %Y}). Amounts in {summary.currency}.",
            styles["Normal"],
        ),
        Spacer(1, 0.4 * cm),
        Paragraph("KPIs vs target", styles["Heading2"]),
        _table(tables.KPI_HEADER, tables.kpi_rows(summary)),
        Paragraph("Top movers", styles["Heading2"]),
    ]
    movers = tables.mover_rows(summary)
    story.append(
        _table(tables.MOVER_HEADER, movers)
        if movers
        else Paragraph("No channel changed revenue this week.", styles["Normal"])
    )
    png = chart_png if chart_png is not None else revenue_chart_png(summary)
    story += [Spacer(1, 0.4 * cm), Image(io.BytesIO(png), width=17 * cm, height=7.7 * cm)]
    story.append(Paragraph("Recommended actions", styles["Heading2"]))
    decisions = tables.decision_rows(summary)
    if decisions:
        cell = styles["BodyText"].clone("cell", fontSize=8.5, leading=10)
        rows = [(Paragraph(action, cell), *rest) for action, *rest in decisions]
        story.append(_table(tables.DECISION_HEADER, rows, DECISION_WIDTHS))
    else:
        story.append(
            Paragraph(
                "No action is recommended this week: the data supports none.", styles["Normal"]
            )
        )
    reasons = tables.decision_reasons(summary)
    if reasons:
        story.append(Paragraph("Not recommended: " + "; ".join(reasons) + ".", styles["Italic"]))
    story.append(Paragraph("Open and overdue alerts", styles["Heading2"]))
    alerts = summary.alerts
    if not alerts.available:
        story.append(Paragraph("Alerts are unavailable.", styles["Normal"]))
    else:
        story.append(
            Paragraph(
                f"{alerts.open} open, {alerts.overdue} overdue "
                "(root cause not submitted within 24 hours).",
                styles["Normal"],
            )
        )
        if alerts.rows:
            story.append(_table(tables.ALERT_HEADER, tables.alert_rows(summary)))
    story.append(Spacer(1, 0.4 * cm))
    story.append(
        Paragraph(
            f"Generated {summary.generated_at:%d %b %Y %H:%M} UTC by Channel Performance.",
            styles["Italic"],
        )
    )
    document.build(story)
    return buffer.getvalue()
