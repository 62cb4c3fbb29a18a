"""Admin › Alert rules (admins only): list rules, create one, edit or disable / enable it.

Choosing a rule in the list loads it into the form; "Save as new rule" creates, "Update chosen
rule" changes the chosen one. Every change is an audited command (``analytics.alerts.rules``).
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Output
from dash import State
from dash import callback
from dash import ctx
from dash import dcc
from dash import html
from dash import no_update

from analytics.alerts.rules import DIRECTIONS
from analytics.alerts.rules import KIND_LABELS
from analytics.alerts.rules import RULE_GRAINS
from analytics.alerts.rules import SCOPE_TYPES
from analytics.alerts.rules import SEVERITIES
from analytics.alerts.rules import create_rule
from analytics.alerts.rules import get_rule
from analytics.alerts.rules import list_rules
from analytics.alerts.rules import set_rule_active
from analytics.alerts.rules import update_rule
from analytics.errors import AnalyticsError
from analytics.metrics import METRICS
from analytics.periods import COMPARISONS
from dashapp.access import register_page
from dashapp.auth import current_actor
from dashapp.callback_values import declare_store
from dashapp.callback_values import optional_id
from dashapp.callback_values import text
from dashapp.components.forms import labelled
from dashapp.components.forms import switch_buttons
from dashapp.components.grid import PLAIN_COLUMNS
from dashapp.components.grid import column
from dashapp.components.grid import plain_grid
from dashapp.components.heading import page_heading
from dashapp.components.ids import chosen_rows
from dashapp.components.ids import clicks
from dashapp.components.ids import contents
from dashapp.components.ids import declared
from dashapp.components.ids import fields
from dashapp.components.ids import page_ids
from dashapp.components.ids import rows
from dashapp.components.status import outcome
from dashapp.pages import ADMIN
from db.roles import PermissionDenied

PREFIX = "admin-alert-rules"
register_page(
    __name__, path="/admin/alert-rules", title="Alert rules", prefix=PREFIX, order=92, **ADMIN
)

IDS = page_ids(
    PREFIX,
    "grid message chosen name kind metric scope scope_code region store severity grain"
    " direction threshold comparison emails webhook escalation_emails escalation_webhook"
    " create update disable enable",
)
declare_store(IDS.chosen, optional_id)
FORM_FIELDS = (
    IDS.name,
    IDS.kind,
    IDS.metric,
    IDS.scope,
    IDS.scope_code,
    IDS.region,
    IDS.store,
    IDS.severity,
    IDS.grain,
    IDS.direction,
    IDS.threshold,
    IDS.comparison,
    IDS.emails,
    IDS.webhook,
    IDS.escalation_emails,
    IDS.escalation_webhook,
)
# Every field but the threshold holds text.
declared(tuple(f for f in FORM_FIELDS if f != IDS.threshold), "value", text)
COLUMNS = [
    column("id", "#", maxWidth=70),
    column("name", "Name"),
    column("kind", "Kind"),
    column("metric", "Metric"),
    column("scope", "Scope"),
    column("grain", "Grain", maxWidth=100),
    column("severity", "Severity", maxWidth=110),
    column("limit", "Limit"),
    column("recipients", "Recipients"),
    column("active", "Status", maxWidth=110),
]


def _options(values, labels=None) -> list[dict]:
    return [{"label": (labels or {}).get(v, v), "value": v} for v in values]


def _rows() -> list[dict]:
    return [
        {
            "id": r.id,
            "name": r.name,
            "kind": KIND_LABELS[r.kind],
            "metric": r.metric,
            "scope": r.scope_label,
            "grain": r.grain,
            "severity": r.severity,
            "limit": "" if r.threshold is None else f"{r.direction} {r.threshold:g}",
            "recipients": ", ".join(
                r.recipients["emails"]
                + ([r.recipients["webhook"]] if r.recipients["webhook"] else [])
            ),
            "active": "active" if r.active else "disabled",
        }
        for r in list_rules()
    ]


def _field(label: str, component, width: int = 6) -> dbc.Col:
    return dbc.Col(labelled(label, component), md=width)


def layout(**_query) -> html.Div:
    form = dbc.Row(
        [
            _field("Name", dbc.Input(id=IDS.name, placeholder="e.g. Web orders drop")),
            _field(
                "Kind",
                dbc.Select(id=IDS.kind, options=_options(KIND_LABELS, KIND_LABELS), value="band"),
            ),
            _field(
                "Metric",
                dbc.Select(
                    id=IDS.metric,
                    value="revenue",
                    options=[{"label": m.label, "value": m.name} for m in METRICS.values()],
                ),
            ),
            _field(
                "Scope", dbc.Select(id=IDS.scope, options=_options(SCOPE_TYPES), value="total"), 3
            ),
            _field("Channel code", dbc.Input(id=IDS.scope_code, placeholder="e.g. web"), 3),
            _field("Region code (optional)", dbc.Input(id=IDS.region), 3),
            _field("Store code (optional)", dbc.Input(id=IDS.store), 3),
            _field(
                "Severity",
                dbc.Select(id=IDS.severity, options=_options(SEVERITIES), value="warning"),
                3,
            ),
            _field(
                "Grain", dbc.Select(id=IDS.grain, options=_options(RULE_GRAINS), value="day"), 3
            ),
            _field(
                "Direction",
                dbc.Select(id=IDS.direction, options=_options(DIRECTIONS), value="both"),
                3,
            ),
            _field(
                "Comparison (change rules)",
                dbc.Select(id=IDS.comparison, options=_options(COMPARISONS), value="prior"),
                3,
            ),
            _field(
                "Threshold (value, or fraction for %: 0.1 = 10 %)",
                dbc.Input(id=IDS.threshold, type="number"),
            ),
            _field("Recipients (emails, comma-separated)", dbc.Input(id=IDS.emails)),
            _field("Webhook URL (Slack-compatible)", dbc.Input(id=IDS.webhook)),
            _field("Escalation emails", dbc.Input(id=IDS.escalation_emails)),
            _field("Escalation webhook URL", dbc.Input(id=IDS.escalation_webhook)),
        ],
        className="g-2",
    )
    return html.Div(
        [
            *page_heading("Alert rules"),
            dcc.Store(id=IDS.chosen),
            html.Div(id=IDS.message),
            plain_grid(
                IDS.grid,
                _rows(),
                COLUMNS,
                PLAIN_COLUMNS | {"resizable": True},
                dashGridOptions={
                    "rowSelection": {"mode": "singleRow", "enableClickSelection": True}
                },
                getRowId="params.data.id",
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H3("Rule", className="h6"),
                        form,
                        switch_buttons(
                            [
                                dbc.Button("Save as new rule", id=IDS.create, color="primary"),
                                dbc.Button("Update chosen rule", id=IDS.update, color="secondary"),
                            ],
                            IDS.disable,
                            IDS.enable,
                            className="mt-3",
                        ),
                    ]
                ),
                className="mt-3",
            ),
        ]
    )


def _emails(text: str | None) -> list[str]:
    return [e.strip() for e in (text or "").split(",") if e.strip()]


@callback(
    Output(IDS.chosen, "data"),
    *[Output(f, "value") for f in FORM_FIELDS],
    chosen_rows(IDS.grid),
    prevent_initial_call=True,
)
def load_rule(selected):
    try:
        rule = get_rule(int(selected[0]["id"])) if selected else None
    except AnalyticsError:  # deleted since the grid was drawn: the form keeps what it has
        rule = None
    if rule is None:
        return (no_update,) * (len(FORM_FIELDS) + 1)
    return (
        rule.id,
        rule.name,
        rule.kind,
        rule.metric,
        rule.scope_type,
        rule.scope_code,
        rule.region_code,
        rule.location_code,
        rule.severity,
        rule.grain,
        rule.direction,
        rule.threshold,
        rule.comparison or "prior",
        ", ".join(rule.recipients["emails"]),
        rule.recipients["webhook"],
        ", ".join(rule.escalation["emails"]),
        rule.escalation["webhook"],
    )


def _change(trigger: str, chosen, values: dict) -> str:
    """Create, update, disable or enable as the signed-in user; the message says what was done."""
    actor = current_actor()
    if trigger == IDS.create:
        rule = create_rule(values, actor)
        return f"Created rule {rule.id}: {rule.name}."
    if not chosen:
        raise AnalyticsError("choose a rule in the list first")
    if trigger == IDS.update:
        rule = update_rule(int(chosen), values, actor)
        return f"Updated rule {rule.id}: {rule.name}."
    active = trigger == IDS.enable
    rule = set_rule_active(int(chosen), active, actor)
    return f"Rule {rule.id} is {'enabled' if active else 'disabled'}."


@callback(
    *contents(IDS.message),
    *rows(IDS.grid),
    *clicks(IDS.create, IDS.update, IDS.disable, IDS.enable),
    State(IDS.chosen, "data"),
    *fields(*FORM_FIELDS),
    prevent_initial_call=True,
)
def change_rules(
    _create,
    _update,
    _disable,
    _enable,
    chosen,
    name,
    kind,
    metric,
    scope,
    scope_code,
    region,
    store,
    severity,
    grain,
    direction,
    threshold,
    comparison,
    emails,
    webhook,
    esc_emails,
    esc_webhook,
):
    values = {
        "name": name,
        "kind": kind,
        "metric": metric,
        "scope_type": scope,
        "scope_code": scope_code,
        "region_code": region or None,
        "location_code": store or None,
        "severity": severity,
        "grain": grain,
        "direction": direction,
        "threshold": threshold,
        "comparison": comparison,
        "recipients": {"emails": _emails(emails), "webhook": webhook},
        "escalation": {"emails": _emails(esc_emails), "webhook": esc_webhook},
    }
    message = outcome(
        lambda: _change(ctx.triggered_id, chosen, values),
        (AnalyticsError, PermissionDenied),
        lambda exc: str(exc).capitalize(),
    )
    return message, _rows()
