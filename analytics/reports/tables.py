"""The summary's tables as formatted text rows, shared by the HTML and PDF renderings."""

from __future__ import annotations

from analytics.alerts.notifications import LinkSettings
from analytics.metrics import METRICS
from analytics.metrics import format_change
from analytics.metrics import format_value
from analytics.reports.alerts_section import READER
from analytics.reports.summary import WeeklySummary

KPI_HEADER = ("KPI", "This week", "Target", "vs target", "vs prior week")
MOVER_HEADER = ("Channel", "Revenue", "Prior week", "Change", "Change %")
ALERT_HEADER = ("Alert", "Severity", "State", "Fired (UTC)", "Root cause due (UTC)", "")
DECISION_HEADER = ("Recommended action", "Expected effect", "Confidence", "Explained on")
REASONS_LISTED = 8


def kpi_rows(summary: WeeklySummary) -> list[tuple[str, ...]]:
    rows = []
    for name, kpi in summary.kpis.items():
        metric = METRICS[name]
        rows.append(
            (
                metric.label,
                format_value(kpi.value, metric.unit, summary.currency),
                format_value(kpi.target, metric.unit, summary.currency),
                format_change(kpi.variance_to_target),
                format_change(kpi.change_prior),
            )
        )
    return rows


def mover_rows(summary: WeeklySummary) -> list[tuple[str, ...]]:
    currency = summary.currency
    return [
        (
            str(row.channel_name),
            format_value(row.revenue, "currency", currency),
            format_value(row.revenue_prior, "currency", currency),
            ("+" if row.change > 0 else "") + format_value(row.change, "currency", currency),
            format_change(None if row.change_pct != row.change_pct else row.change_pct),
        )
        for row in summary.movers.itertuples()
    ]


def alert_rows(summary: WeeklySummary) -> list[tuple[str, ...]]:
    return [
        (
            str(row["rule"]),
            str(row["severity"]),
            str(row["state"]).replace("_", " "),
            f"{row['fired_at']:%d %b %H:%M}",
            f"{row['due_at']:%d %b %H:%M}",
            "OVERDUE" if row["overdue"] else "",
        )
        for row in summary.alerts.rows
    ]


def decision_rows(summary: WeeklySummary) -> list[tuple[str, ...]]:
    """The recommended actions, worded for the report's readers (executives: no amounts of
    spend); the page is a link when the app's public address is set."""
    public = (LinkSettings().public_url or "").rstrip("/")
    horizon = summary.decisions.horizon_days
    return [
        (
            f"{d.title_for(READER)} — {d.detail}",
            f"+{format_value(d.effect, 'currency', summary.currency)} in {horizon} days",
            d.confidence,
            f"{public}{d.page}",
        )
        for d in summary.decisions.decisions
    ]


def decision_reasons(summary: WeeklySummary) -> list[str]:
    """Why the data supports no action elsewhere (the first ``REASONS_LISTED``)."""
    reasons = summary.decisions.not_recommended
    return [f"{subject}: {why}" for subject, why in list(reasons.items())[:REASONS_LISTED]]
