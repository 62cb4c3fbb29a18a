"""The "validated as of …" badge for KPI pages: warns when the data shown failed validation."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from analytics.periods import Period
from analytics.quality.status import validation_status
from dashapp.access import allowed
from dashapp.access import page_for_path
from db.settings import get_settings

DATA_QUALITY_PATH = "/data-quality"


def _link_to_details(role: str | None) -> dict:
    if not allowed(page_for_path(DATA_QUALITY_PATH), role):
        return {"title": "An administrator or data scientist can see the details"}
    return {"href": DATA_QUALITY_PATH, "title": "Open Data quality for the details"}


def validation_badge(prefix: str, period: Period, role: str | None) -> html.Span:
    """A small badge: green when every validated day of ``period`` passed, red listing the
    failed days and checks otherwise, grey when nothing was validated yet. The red badge
    links to Data quality only for roles that may open it."""
    status = validation_status(period)
    badge_id = f"{prefix}-validation-badge"
    if status.validated_at is None:
        return html.Span(
            dbc.Badge("Not validated yet", color="secondary", className="fw-normal"),
            id=badge_id,
        )
    when = status.validated_at.astimezone(get_settings().tz).strftime("%d %b %Y %H:%M %Z")
    if status.ok:
        return html.Span(
            dbc.Badge(
                f"Validated as of {when} (data through {status.last_day:%d %b %Y})",
                color="success",
                className="fw-normal",
                title="Every validated day in this period passed the data-integrity checks",
            ),
            id=badge_id,
        )
    days = sorted(status.failed_days)
    checks = sorted({c for names in status.failed_days.values() for c in names})
    shown = ", ".join(f"{d:%d %b}" for d in days[:3]) + (" …" if len(days) > 3 else "")
    return html.Span(
        dbc.Badge(
            [
                f"Validation failed for {len(days)} day(s) shown ({shown}): "
                f"{', '.join(c.replace('_', ' ') for c in checks)} · validated as of {when}",
            ],
            color="danger",
            className="fw-normal text-wrap text-start",
            **_link_to_details(role),
        ),
        id=badge_id,
    )
