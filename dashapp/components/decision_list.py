"""The recommended actions on the Overview, for every role.

Each action links to the page that explains it only when the viewer's role may open that page;
otherwise it names the role that can act on it. Subjects the data supports no action for are
listed, with the reason, under a collapsed "why not".
"""

from __future__ import annotations

import datetime as dt

import dash_bootstrap_components as dbc
from dash import dcc
from dash import html

from analytics.decisions import Decision
from analytics.decisions import DecisionList
from analytics.metrics import format_value
from dashapp.access import ROLE_LABELS
from dashapp.access import ROLE_ORDER
from dashapp.access import allowed
from dashapp.access import page_for_path

KIND_LABELS = {"budget": "Budget", "price": "Price", "stock": "Stock", "alert": "Alert"}
CONFIDENCE_COLORS = {"high": "success", "medium": "warning"}


def _explained_on(decision: Decision, role: str | None, item_id: str):
    """A link to the explaining page, or who can open it when the viewer cannot."""
    page = page_for_path(decision.page)
    if page is None:
        return None
    if allowed(page, role):
        return dcc.Link(f"See {page['name']} →", href=page["relative_path"], id=f"{item_id}-link")
    lowest = min(page["roles"], key=ROLE_ORDER.index)
    who = ROLE_LABELS[lowest].lower()
    article = "An" if who[0] in "aeiou" else "A"
    return html.Span(
        f"{article} {who} (or a role above) acts on this on the {page['name']} page.",
        className="text-secondary",
        id=f"{item_id}-who",
    )


def _item(rank: int, decision: Decision, role, currency: str, horizon: int, prefix: str):
    item_id = f"{prefix}-decision-{rank}"
    effect = format_value(decision.effect, "currency", currency)
    if decision.effect_note:
        effect_text, tone = f"{effect} {decision.effect_note}", "text-body"
    else:
        effect_text, tone = f"+{effect} expected in {horizon} days", "text-success"
    return dbc.ListGroupItem(
        [
            html.Div(
                [
                    html.Span(f"{rank}. ", className="fw-semibold"),
                    html.Span(
                        decision.title_for(role), className="fw-semibold", id=f"{item_id}-title"
                    ),
                    dbc.Badge(
                        KIND_LABELS.get(decision.kind, decision.kind),
                        color="light",
                        text_color="dark",
                        className="ms-2 border",
                    ),
                ]  # fmt: skip
            ),
            html.Div(
                [
                    html.Span(
                        effect_text,
                        className=f"fw-semibold {tone} me-2",
                        id=f"{item_id}-effect",
                        **{"data-value": f"{decision.effect:.6f}"},
                    ),
                    dbc.Badge(
                        f"{decision.confidence} confidence",
                        color=CONFIDENCE_COLORS.get(decision.confidence, "secondary"),
                        className="me-2",
                    ),
                    _explained_on(decision, role, item_id),
                ],
                className="small mt-1",
            ),
            html.Div(decision.detail, className="small text-secondary"),
        ],
        id=item_id,
    )


def _why_not(reasons: dict[str, str], prefix: str) -> html.Details | None:
    if not reasons:
        return None
    return html.Details(
        [
            html.Summary(
                f"Why nothing is recommended for the rest ({len(reasons)})",
                className="small text-secondary",
            ),
            html.Ul(
                [html.Li(f"{subject}: {why}") for subject, why in reasons.items()],
                className="small text-secondary mt-1 mb-0",
            ),
        ],
        id=f"{prefix}-why-not",
        className="mt-2",
    )


def decision_list(
    decisions: DecisionList, as_of: dt.date, role: str | None, currency: str, prefix: str
) -> dbc.Card:
    horizon = decisions.horizon_days
    items = [
        _item(rank, d, role, currency, horizon, prefix)
        for rank, d in enumerate(decisions.decisions, start=1)
    ]
    body = (
        dbc.ListGroup(items, flush=True, id=f"{prefix}-decision-items")
        if items
        else html.P("The data supports no action at the moment.", className="mb-0")
    )
    return dbc.Card(
        dbc.CardBody(
            [
                html.H3("Recommended actions", className="h6 mb-0"),
                html.P(
                    f"Ranked by money: the effect expected over the next {horizon} days, or an "
                    f"alert's gap from normal; from data up to {as_of:%d %b %Y}.",
                    className="small text-secondary mb-1",
                ),
                body,
                _why_not(decisions.not_recommended, prefix),
            ]
        ),
        className="shadow-sm",
        id=f"{prefix}-decisions-card",
    )
