"""Admin › Alert rules (admins only): list rules, create one, edit or disable / enable it.

Choosing a rule in the list loads it into the form; "Save as new rule" creates, "Update chosen
rule" changes the chosen one. Every change is an audited command (``analytics.alerts.rules``).
"""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update

from analytics.alerts.rules import (
    DIRECTIONS,
    KIND_LABELS,
    RULE_GRAINS,
    SCOPE_TYPES,
    SEVERITIES,
    create_rule,
    get_rule,
    list_rules,
    set_rule_active,
    update_rule,
)
from analytics.errors import AnalyticsError
from analytics.metrics import METRICS
from analytics.periods import COMPARISONS
from dashapp.access import register_page
from dashapp.auth import current_actor
from dashapp.pages import ADMIN
from db.roles import PermissionDenied

PREFIX = "admin-alert-rules"
register_page(
    __name__, path="/admin/alert-rules", title="Alert rules", prefix=PREFIX, order=92, **ADMIN
)

GRID = f"{PREFIX}-grid"
MESSAGE = f"{PREFIX}-message"
CHOSEN = f"{PREFIX}-chosen"
NAME = f"{PREFIX}-name"
KIND = f"{PREFIX}-kind"
METRIC = f"{PREFIX}-metric"
SCOPE = f"{PREFIX}-scope"
SCOPE_CODE = f"{PREFIX}-scope-code"
REGION = f"{PREFIX}-region"
STORE = f"{PREFIX}-store"
SEVERITY = f"{PREFIX}-severity"
GRAIN = f"{PREFIX}-grain"
DIRECTION = f"{PREFIX}-direction"
THRESHOLD = f"{PREFIX}-threshold"
COMPARISON = f"{PREFIX}-comparison"
EMAILS = f"{PREFIX}-emails"
WEBHOOK = f"{PREFIX}-webhook"
ESC_EMAILS = f"{PREFIX}-escalation-emails"
ESC_WEBHOOK = f"{PREFIX}-escalation-webhook"
CREATE = f"{PREFIX}-create"
UPDATE = f"{PREFIX}-update"
DISABLE = f"{PREFIX}-disable"
ENABLE = f"{PREFIX}-enable"
FORM_FIELDS = (
    NAME,
    KIND,
    METRIC,
    SCOPE,
    SCOPE_CODE,
    REGION,
    STORE,
    SEVERITY,
    GRAIN,
    DIRECTION,
    THRESHOLD,
    COMPARISON,
    EMAILS,
    WEBHOOK,
    ESC_EMAILS,
    ESC_WEBHOOK,
)


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
    return dbc.Col(
        [dbc.Label(label, html_for=component.id, className="small mb-0"), component], md=width
    )


def layout(**_query) -> html.Div:
    form = dbc.Row(
        [
            _field("Name", dbc.Input(id=NAME, placeholder="e.g. Web orders drop")),
            _field(
                "Kind",
                dbc.Select(id=KIND, options=_options(KIND_LABELS, KIND_LABELS), value="band"),
            ),
            _field(
                "Metric",
                dbc.Select(
                    id=METRIC,
                    value="revenue",
                    options=[{"label": m.label, "value": m.name} for m in METRICS.values()],
                ),
            ),
            _field("Scope", dbc.Select(id=SCOPE, options=_options(SCOPE_TYPES), value="total"), 3),
            _field("Channel code", dbc.Input(id=SCOPE_CODE, placeholder="e.g. web"), 3),
            _field("Region code (optional)", dbc.Input(id=REGION), 3),
            _field("Store code (optional)", dbc.Input(id=STORE), 3),
            _field(
                "Severity",
                dbc.Select(id=SEVERITY, options=_options(SEVERITIES), value="warning"),
                3,
            ),
            _field("Grain", dbc.Select(id=GRAIN, options=_options(RULE_GRAINS), value="day"), 3),
            _field(
                "Direction", dbc.Select(id=DIRECTION, options=_options(DIRECTIONS), value="both"), 3
            ),
            _field(
                "Comparison (change rules)",
                dbc.Select(id=COMPARISON, options=_options(COMPARISONS), value="prior"),
                3,
            ),
            _field(
                "Threshold (value, or fraction for %: 0.1 = 10 %)",
                dbc.Input(id=THRESHOLD, type="number"),
            ),
            _field("Recipients (emails, comma-separated)", dbc.Input(id=EMAILS)),
            _field("Webhook URL (Slack-compatible)", dbc.Input(id=WEBHOOK)),
            _field("Escalation emails", dbc.Input(id=ESC_EMAILS)),
            _field("Escalation webhook URL", dbc.Input(id=ESC_WEBHOOK)),
        ],
        className="g-2",
    )
    return html.Div(
        [
            html.H2("Alert rules", className="h4"),
            dcc.Store(id=CHOSEN),
            html.Div(id=MESSAGE),
            dag.AgGrid(
                id=GRID,
                rowData=_rows(),
                columnDefs=[
                    {"field": "id", "headerName": "#", "maxWidth": 70},
                    {"field": "name", "headerName": "Name"},
                    {"field": "kind", "headerName": "Kind"},
                    {"field": "metric", "headerName": "Metric"},
                    {"field": "scope", "headerName": "Scope"},
                    {"field": "grain", "headerName": "Grain", "maxWidth": 100},
                    {"field": "severity", "headerName": "Severity", "maxWidth": 110},
                    {"field": "limit", "headerName": "Limit"},
                    {"field": "recipients", "headerName": "Recipients"},
                    {"field": "active", "headerName": "Status", "maxWidth": 110},
                ],
                defaultColDef={"sortable": True, "filter": True, "flex": 1, "resizable": True},
                dashGridOptions={"rowSelection": {"mode": "singleRow"}, "domLayout": "autoHeight"},
                getRowId="params.data.id",
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H3("Rule", className="h6"),
                        form,
                        dbc.ButtonGroup(
                            [
                                dbc.Button("Save as new rule", id=CREATE, color="primary"),
                                dbc.Button("Update chosen rule", id=UPDATE, color="secondary"),
                                dbc.Button("Disable", id=DISABLE, color="danger", outline=True),
                                dbc.Button("Enable", id=ENABLE, color="success", outline=True),
                            ],
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
    Output(CHOSEN, "data"),
    *[Output(f, "value") for f in FORM_FIELDS],
    Input(GRID, "selectedRows"),
    prevent_initial_call=True,
)
def load_rule(selected):
    if not selected:
        return (no_update,) * (len(FORM_FIELDS) + 1)
    rule = get_rule(int(selected[0]["id"]))
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


@callback(
    Output(MESSAGE, "children"),
    Output(GRID, "rowData"),
    Input(CREATE, "n_clicks"),
    Input(UPDATE, "n_clicks"),
    Input(DISABLE, "n_clicks"),
    Input(ENABLE, "n_clicks"),
    State(CHOSEN, "data"),
    *[State(f, "value") for f in FORM_FIELDS],
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
    try:
        actor = current_actor()
        if ctx.triggered_id == CREATE:
            rule = create_rule(values, actor)
            done = f"Created rule {rule.id}: {rule.name}."
        elif not chosen:
            raise AnalyticsError("choose a rule in the list first")
        elif ctx.triggered_id == UPDATE:
            rule = update_rule(int(chosen), values, actor)
            done = f"Updated rule {rule.id}: {rule.name}."
        else:
            active = ctx.triggered_id == ENABLE
            rule = set_rule_active(int(chosen), active, actor)
            done = f"Rule {rule.id} is {'enabled' if active else 'disabled'}."
    except (AnalyticsError, PermissionDenied) as exc:
        return dbc.Alert(str(exc).capitalize(), color="danger", dismissable=True), _rows()
    return dbc.Alert(done, color="success", dismissable=True), _rows()
