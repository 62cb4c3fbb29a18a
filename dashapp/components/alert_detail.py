"""One alert's detail on the Alerts page: badges, message, the metric's history with the
expected range, the breakdown of the change by driver and by contributor, and the events."""

from __future__ import annotations

import datetime as dt

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc
from dash import html

from analytics.alerts.breakdown import CONTRIBUTOR_DIMENSIONS
from analytics.alerts.notifications import range_text
from analytics.alerts.workflow import CAUSE_CATEGORIES
from analytics.alerts.workflow import STATE_LABELS
from analytics.alerts.workflow import is_overdue
from analytics.alerts.workflow import time_left
from analytics.metrics import format_value
from analytics.views.alerts import AlertView
from dashapp.components.alert_charts import effects_figure
from dashapp.components.alert_charts import metric_history_figure
from dashapp.components.grid import WRAPPED_HEADERS
from db.settings import get_settings

SEVERITY_COLORS = {"info": "info", "warning": "warning", "critical": "danger"}


def local_time(stamp: dt.datetime) -> str:
    stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
    return stamp.astimezone(get_settings().tz).strftime("%d %b %Y %H:%M %Z")


def period_text(start: dt.date, end: dt.date) -> str:
    return f"{start:%d %b %Y}" if start == end else f"{start:%d %b %Y} – {end:%d %b %Y}"


def as_float(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _badge(text: str, color: str, id_: str | None = None) -> dbc.Badge:
    props = {"id": id_} if id_ else {}
    return dbc.Badge(text, color=color, className="me-2", **props)


# Contributor grid columns: (field, header, frame column).
CONTRIBUTOR_AMOUNTS = (
    ("before", "Before", "revenue_base"),
    ("now", "During alert", "revenue"),
    ("change", "Change", "change"),
)


def _contributors_grid(prefix: str, name: str, frame: pd.DataFrame, currency: str) -> html.Div:
    """Raw amounts, so the columns sort as numbers, shown as text in the base currency."""
    rows = []
    for record in frame.to_dict("records"):
        row = {"name": record["name"]}
        for field, _, source in CONTRIBUTOR_AMOUNTS:
            row[field] = record[source]
            row[f"{field}_text"] = format_value(record[source], "currency", currency)
        rows.append(row)
    amounts = [
        {
            "field": field,
            "headerName": header,
            "type": "rightAligned",
            "valueFormatter": {"function": f"params.data.{field}_text"},
        }
        for field, header, _ in CONTRIBUTOR_AMOUNTS
    ]
    return html.Div(
        [
            html.H4(f"Revenue change by {name.lower()}", className="h6 mt-3"),
            dag.AgGrid(
                id=f"{prefix}-contributors-{name.lower()}",
                rowData=rows,
                columnDefs=[{"field": "name", "headerName": name, "minWidth": 140}, *amounts],
                defaultColDef={
                    "flex": 1,
                    "sortable": True,
                    **WRAPPED_HEADERS,
                },
                dashGridOptions={"domLayout": "autoHeight"},
            ),
        ]
    )


def alert_detail(prefix: str, view: AlertView, now: dt.datetime) -> html.Div:
    """The detail panel of one alert (ids ``<prefix>-detail-title``, ``-chart``, ``-effects``…)."""
    item, rule, metric = view.alert, view.rule, view.metric
    currency = get_settings().base_currency

    def fmt(value) -> str:
        return format_value(as_float(value), metric.unit, currency)

    overdue = is_overdue(item["state"], item["due_at"], now)
    left = time_left(item["state"], item["due_at"], now)
    badges = [
        _badge(rule.severity.capitalize(), SEVERITY_COLORS[rule.severity]),
        _badge(STATE_LABELS[item["state"]], "secondary", f"{prefix}-state-badge"),
    ]
    if left:
        badges.append(
            _badge(
                ("OVERDUE · " if overdue else "") + left,
                "danger" if overdue else "success",
                f"{prefix}-due-badge",
            )
        )
    if item["escalated_at"]:
        badges.append(_badge(f"Escalated {local_time(item['escalated_at'])}", "danger"))
    band = range_text(item["lower"], item["upper"], metric.unit, currency)
    period = view.period
    chart = metric_history_figure(
        view.history,
        (pd.Timestamp(item["period_start"]), as_float(item["observed"])),
        metric.label,
        metric.unit,
        currency,
        rule.grain,
    )
    parts = view.breakdown
    contributors = [
        *((label, parts.contributors[dim]) for dim, label in CONTRIBUTOR_DIMENSIONS.items()),
        ("Product", parts.products),
    ]
    events = [
        html.Li(
            f"{local_time(e['at'])} · {e['actor']} · {e['action'].replace('_', ' ')}"
            + (f" → {STATE_LABELS[e['to_state']]}" if e["to_state"] else "")
            + (f" — {e['note']}" if e["note"] else "")
        )
        for e in item["events"]
    ]
    root = item["root_cause"]
    root_block = (
        dbc.Alert(
            [
                html.Strong(f"Root cause ({CAUSE_CATEGORIES[root['category']]}): "),
                root["text"],
                html.Br(),
                html.Strong("Corrective action: "),
                root["corrective_action"],
                html.Br(),
                html.Small(f"by {root['submitted_by']} at {local_time(root['submitted_at'])}"),
            ],
            color="light",
            id=f"{prefix}-root-cause",
        )
        if root
        else None
    )
    return html.Div(
        [
            html.H3(f"#{item['id']} · {rule.name}", className="h5", id=f"{prefix}-detail-title"),
            html.Div(badges, className="mb-2"),
            html.P(item["message"], className="mb-1"),
            html.P(
                [
                    html.Strong("Observed "),
                    fmt(item["observed"]),
                    html.Strong(" · expected "),
                    fmt(item["expected"]),
                    html.Strong(" · normal range "),
                    band,
                    f" · {metric.label} for {rule.scope_label}, {rule.grain} "
                    f"{period_text(period.start, period.end)}; "
                    f"fired {local_time(item['fired_at'])}, "
                    f"root cause due {local_time(item['due_at'])}",
                ],
                className="small",
            ),
            root_block,
            dcc.Graph(id=f"{prefix}-chart", figure=chart, config={"displaylogo": False}),
            html.H4(
                f"Breakdown: {period_text(parts.period.start, parts.period.end)} vs "
                f"{period_text(parts.comparison.start, parts.comparison.end)}",
                className="h6 mt-3",
            ),
            html.P(parts.effects_note, className="small text-secondary")
            if parts.effects_note
            else None,
            dcc.Graph(
                id=f"{prefix}-effects",
                figure=effects_figure(view.effects, currency),
                config={"displaylogo": False},
            ),
            dbc.Row(
                [
                    dbc.Col(_contributors_grid(prefix, label, frame, currency), md=6)
                    for label, frame in contributors
                ],
                className="g-3",
            ),
            html.H4("History", className="h6 mt-3"),
            html.Ul(events, className="small", id=f"{prefix}-events"),
        ]
    )
