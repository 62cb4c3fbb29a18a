"""The weekly report as an email: plain text, HTML with the chart inline, the PDF attached."""

from __future__ import annotations

from email.message import EmailMessage

from analytics.reports.chart import revenue_chart_png
from analytics.reports.html import CHART_CID
from analytics.reports.html import render_html
from analytics.reports.pdf import render_pdf
from analytics.reports.summary import WeeklySummary


def pdf_filename(summary: WeeklySummary) -> str:
    return f"channel-performance-week-{summary.period.end:%Y-%m-%d}.pdf"


def build_message(summary: WeeklySummary, recipients: list[str], sender: str) -> EmailMessage:
    """A multipart email: plain text, HTML with the chart inline, and the PDF attached."""
    chart = revenue_chart_png(summary)
    message = EmailMessage()
    message["Subject"] = (
        f"Weekly executive summary: {summary.period.start:%d %b} – {summary.period.end:%d %b %Y}"
    )
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message.set_content(
        "The weekly executive summary is in the HTML part of this email and in the attached PDF."
    )
    message.add_alternative(render_html(summary), subtype="html")
    message.get_payload()[1].add_related(chart, "image", "png", cid=f"<{CHART_CID}>")
    message.add_attachment(
        render_pdf(summary, chart),
        maintype="application",
        subtype="pdf",
        filename=pdf_filename(summary),
    )
    return message
