"""Admin › Reports (admins only): the weekly summary's schedule and recipients, and its PDF."""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import Input
from dash import Output
from dash import State
from dash import callback
from dash import dcc
from dash import html
from dash import no_update

from analytics.errors import AnalyticsError
from analytics.periods import Period
from analytics.reports.mailer import pdf_filename
from analytics.reports.pdf import render_pdf
from analytics.reports.schedule import WEEKDAYS
from analytics.reports.schedule import get_schedule
from analytics.reports.schedule import recent_runs
from analytics.reports.schedule import set_schedule
from analytics.reports.summary import build_weekly_summary
from analytics.reports.summary import last_complete_week
from analytics.reports.summary import week_ending
from analytics.rollup import data_range
from dashapp.access import register_page
from dashapp.auth import current_actor
from dashapp.components.forms import form_card
from dashapp.components.forms import labelled
from dashapp.components.grid import column
from dashapp.components.grid import plain_grid
from dashapp.components.heading import page_heading
from dashapp.components.ids import fields
from dashapp.components.ids import page_ids
from dashapp.components.status import outcome
from dashapp.components.status import status_alert
from dashapp.pages import ADMIN
from db.roles import PermissionDenied
from db.settings import get_settings

PREFIX = "admin-reports"
register_page(__name__, path="/admin/reports", title="Reports", prefix=PREFIX, order=93, **ADMIN)

IDS = page_ids(
    PREFIX,
    "weekday hour recipients enabled save message week download_button download "
    "download_message runs",
)


def _last_week_over() -> Period:
    return last_complete_week(dt.datetime.now(get_settings().tz).date())


def _default_week_day() -> dt.date:
    """The last complete week that has data (the last complete week before today, normally)."""
    today = dt.datetime.now(get_settings().tz).date()
    bounds = data_range()
    if bounds is not None:
        today = min(today, bounds[1] + dt.timedelta(days=1))
    return last_complete_week(today).end


def _runs() -> list[dict]:
    return [
        {
            "week": f"{r['period_start']} – {r['period_end']}",
            "status": r["status"],
            "sent_at": f"{r['sent_at']:%Y-%m-%d %H:%M} UTC",
            "recipients": ", ".join(r["recipients"] or []),
            "error": r["error"] or "",
        }
        for r in recent_runs()
    ]


def layout(**_query) -> html.Div:
    schedule = get_schedule()
    updated = (
        f"Last changed by {schedule.updated_by} on {schedule.updated_at:%d %b %Y %H:%M} UTC."
        if schedule.updated_at
        else "Not configured yet."
    )
    return html.Div(
        [
            *page_heading("Weekly executive summary"),
            html.Div(id=IDS.message),
            dbc.Row(
                [
                    form_card(
                        "Schedule and recipients",
                        [
                            *labelled(
                                "Day",
                                dbc.Select(
                                    id=IDS.weekday,
                                    options=[
                                        {"label": d, "value": str(i)}
                                        for i, d in enumerate(WEEKDAYS)
                                    ],
                                    value=str(schedule.weekday),
                                    className="mb-2",
                                ),
                            ),
                            *labelled(
                                f"Hour ({get_settings().reporting_tz})",
                                dbc.Select(
                                    id=IDS.hour,
                                    options=[
                                        {"label": f"{h:02d}:00", "value": str(h)} for h in range(24)
                                    ],
                                    value=str(schedule.hour),
                                    className="mb-2",
                                ),
                            ),
                            *labelled(
                                "Recipients (one per line or comma-separated)",
                                dbc.Textarea(
                                    id=IDS.recipients,
                                    value="\n".join(schedule.recipients),
                                    rows=4,
                                    className="mb-2",
                                ),
                            ),
                            dbc.Switch(
                                id=IDS.enabled,
                                label="Send every week",
                                value=schedule.enabled,
                                className="mb-2",
                            ),
                            dbc.Button("Save schedule", id=IDS.save, color="primary"),
                            html.Div(updated, className="small text-secondary mt-2"),
                        ],
                        md=6,
                    ),
                    form_card(
                        "Download the report",
                        [
                            html.P(
                                "KPIs vs target, top movers and open alerts for the "
                                "Monday–Sunday week containing the chosen day.",
                                className="small text-secondary",
                            ),
                            dcc.DatePickerSingle(
                                id=IDS.week,
                                date=_default_week_day().isoformat(),
                                max_date_allowed=_last_week_over().end.isoformat(),
                                display_format="YYYY-MM-DD",
                                first_day_of_week=1,
                            ),
                            html.Div(
                                dbc.Button(
                                    "Download PDF",
                                    id=IDS.download_button,
                                    color="secondary",
                                ),
                                className="mt-2",
                            ),
                            dcc.Download(id=IDS.download),
                            html.Div(id=IDS.download_message, className="mt-2"),
                        ],
                        md=6,
                    ),
                ],
                className="g-3",
            ),
            html.H3("Sent reports", className="h6 mt-4"),
            plain_grid(
                IDS.runs,
                _runs(),
                [
                    column("week", "Week"),
                    column("status", "Status", maxWidth=120),
                    column("sent_at", "Sent"),
                    column("recipients", "Recipients"),
                    column("error", "Error"),
                ],
                {"flex": 1, "resizable": True},
            ),
        ]
    )


def _whole_number(value, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise AnalyticsError(f"choose {what}") from None


@callback(
    Output(IDS.message, "children"),
    Input(IDS.save, "n_clicks"),
    *fields(IDS.weekday, IDS.hour, IDS.recipients, IDS.enabled),
    prevent_initial_call=True,
)
def save_schedule(_clicks, weekday, hour, recipients, enabled):
    return outcome(
        lambda: _save(weekday, hour, recipients, enabled), (AnalyticsError, PermissionDenied)
    )


def _save(weekday, hour, recipients, enabled) -> str:
    day, at = _whole_number(weekday, "a weekday"), _whole_number(hour, "an hour (0–23)")
    schedule = set_schedule(day, at, recipients or "", bool(enabled), actor=current_actor())
    return f"Saved: {schedule.describe()} to {len(schedule.recipients)} recipient(s)."


@callback(
    Output(IDS.download, "data"),
    Output(IDS.download_message, "children"),
    Input(IDS.download_button, "n_clicks"),
    State(IDS.week, "date"),
    prevent_initial_call=True,
)
def download_pdf(_clicks, day):
    chosen = dt.date.fromisoformat(day[:10]) if day else _default_week_day()
    try:
        summary = build_weekly_summary(week_ending(chosen))
    except AnalyticsError as exc:  # a week not over yet
        return no_update, status_alert(f"No report: {exc}.", ok=False)
    return dcc.send_bytes(render_pdf(summary), pdf_filename(summary)), None
