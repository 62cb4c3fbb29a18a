"""KPI cards: a value, its comparison with the prior period and last year, and a note."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from analytics.metrics import format_change


def _delta(label: str, change: float | None, higher_is_better: bool) -> html.Span:
    if change is None:
        tone = "text-secondary"
    else:
        good = change > 0 if higher_is_better else change < 0
        tone = "text-success" if good else "text-danger" if change != 0 else "text-secondary"
    return html.Span(
        [html.Span(format_change(change), className=f"fw-semibold {tone}"), f" {label}"],
        className="me-3",
    )


def kpi_card(
    card_id: str,
    title: str,
    value: str,
    change_prior: float | None = None,
    change_last_year: float | None = None,
    higher_is_better: bool = True,
    note: str | None = None,
    comparable: bool = True,
) -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(title, className="text-secondary small text-uppercase fw-semibold"),
                html.Div(value, className="fs-3 fw-bold my-1", id=f"{card_id}-value"),
                html.Div(note, className="small text-secondary mb-1") if note else None,
                html.Div(
                    [
                        _delta("vs prior period", change_prior, higher_is_better),
                        _delta("vs last year", change_last_year, higher_is_better),
                    ],
                    className="small",
                )
                if comparable
                else None,
            ]
        ),
        id=card_id,
        className="h-100 shadow-sm",
    )
