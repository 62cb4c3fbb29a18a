"""Admin › Channel rules (admins only): the touchpoint rules, add / change / disable, and remap
(once confirmed)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import callback
from dash import ctx
from dash import html

from dashapp.access import register_page
from dashapp.auth import current_actor
from dashapp.components.confirm import confirmation_ids
from dashapp.components.confirm import confirmation_modal
from dashapp.components.confirm import register_confirmation
from dashapp.components.forms import form_card
from dashapp.components.forms import form_row
from dashapp.components.forms import switch_buttons
from dashapp.components.grid import column
from dashapp.components.grid import plain_grid
from dashapp.components.heading import page_heading
from dashapp.components.ids import choices
from dashapp.components.ids import clicks
from dashapp.components.ids import contents
from dashapp.components.ids import fields
from dashapp.components.ids import page_ids
from dashapp.components.ids import rows
from dashapp.components.ids import texts
from dashapp.components.status import outcome
from dashapp.pages import ADMIN
from db.errors import CommandError
from ingestion.mapping import OPERATORS
from ingestion.remap import remap
from ingestion.rules import add_rule
from ingestion.rules import edit_rule
from ingestion.rules import list_rules
from ingestion.rules import set_rule_active
from ingestion.rules import touchpoint_codes

PREFIX = "admin-rules"
register_page(
    __name__, path="/admin/rules", title="Channel rules", prefix=PREFIX, order=94, **ADMIN
)

IDS = page_ids(
    PREFIX,
    "grid version message priority source field operator value touchpoint add target save"
    " disable enable remap",
)
REMAP = confirmation_ids(IDS.remap)

COLUMNS = [
    column("id", "Id", maxWidth=80),
    column("priority", "Priority", maxWidth=110),
    column("source", "Source system"),
    column("field", "Field"),
    column("operator", "Operator"),
    column("value", "Value"),
    column("touchpoint", "Touchpoint"),
    column("status", "Status"),
    column("version", "Version", maxWidth=110),
]


def _rows() -> list[dict]:
    return [
        {
            "id": r.id,
            "priority": r.priority,
            "source": r.source_system or "any",
            "field": r.field,
            "operator": r.operator,
            "value": r.value,
            "touchpoint": r.touchpoint,
            "status": "active" if r.active else "disabled",
            "version": r.version,
        }
        for r in list_rules()
    ]


def _version_number(rules: list[dict]) -> int:
    return max((r["version"] for r in rules), default=0)


def _version(rules: list[dict]) -> str:
    version = _version_number(rules)
    return (
        f"Rule set version {version}. The first active rule by priority that matches an "
        "order's raw touchpoint fields assigns its touchpoint; no match is Unassigned. "
        "Changes apply to new orders; “Remap past orders” applies them to history."
    )


def _rule_options(rules: list[dict]) -> list[dict]:
    return [
        {
            "label": f"#{r['id']} · {r['priority']} · {r['source']} {r['field']} "
            f"{r['operator']} {r['value']} → {r['touchpoint']}",
            "value": r["id"],
        }
        for r in rules
    ]


def layout(**_query) -> html.Div:
    rules = _rows()
    touchpoints = [{"label": c, "value": c} for c in touchpoint_codes()]
    operators = [{"label": o, "value": o} for o in sorted(OPERATORS)]
    return html.Div(
        [
            *page_heading("Channel rules", _version(rules), id=IDS.version),
            html.Div(id=IDS.message),
            plain_grid(IDS.grid, rules, COLUMNS),
            dbc.Row(
                [
                    form_card(
                        "Rule",
                        [
                            form_row("Priority", dbc.Input(id=IDS.priority, type="number")),
                            form_row(
                                "Source system",
                                dbc.Input(id=IDS.source, placeholder="e.g. shopify (empty: any)"),
                            ),
                            form_row(
                                "Field",
                                dbc.Input(id=IDS.field, placeholder="e.g. source_name"),
                            ),
                            form_row(
                                "Operator",
                                dbc.Select(
                                    id=IDS.operator, options=operators, placeholder="equals"
                                ),
                            ),
                            form_row("Value", dbc.Input(id=IDS.value, placeholder="e.g. pos")),
                            form_row(
                                "Touchpoint",
                                dbc.Select(id=IDS.touchpoint, options=touchpoints),
                            ),
                            dbc.Button("Add rule", id=IDS.add, color="primary"),
                        ],
                        md=6,
                    ),
                    form_card(
                        "Change a rule",
                        [
                            html.P(
                                "Save applies the filled-in fields of the form on "
                                "the left to the chosen rule.",
                                className="small text-secondary",
                            ),
                            dbc.Select(
                                id=IDS.target, options=_rule_options(rules), className="mb-2"
                            ),
                            switch_buttons(
                                dbc.Button("Save changes", id=IDS.save, color="primary"),
                                IDS.disable,
                                IDS.enable,
                            ),
                            html.Hr(),
                            html.H3("Apply to history", className="h6"),
                            dbc.Button("Remap past orders", id=IDS.remap, color="warning"),
                        ],
                        md=6,
                    ),
                ],
                className="mt-3 g-3",
            ),
            confirmation_modal(REMAP, "Remap past orders"),
        ]
    )


def _remap_question() -> str:
    return (
        "Remap every past order with the current channel rules (rule set version "
        f"{_version_number(_rows())})? Each order whose rules now give another touchpoint moves "
        "there, and counts in its new channel on every page for all its history; the rollups "
        "of the days concerned are rebuilt. The remap is audited; only changing the rules back "
        "and remapping again undoes it."
    )


register_confirmation(REMAP, _remap_question)


def _change(trigger, priority, source, field, operator, value, touchpoint, target) -> str:
    actor = current_actor()
    if trigger == IDS.add:
        operator = operator or "equals"
        rule = add_rule(priority, source, field, operator, value, touchpoint, actor=actor)
        return f"Added rule #{rule.id}; rule set version {rule.version}."
    if trigger == REMAP.confirm:
        result = remap(actor=actor)
        return (
            f"Remapped with rule set version {result.version}: {result.orders_moved:,} orders "
            f"moved, {len(result.days):,} days of rollups rebuilt."
        )
    if not target:
        raise CommandError("choose a rule first")
    if trigger == IDS.save:
        rule = edit_rule(
            int(target),
            actor,
            priority=priority if priority not in (None, "") else None,
            source_system=source,
            field=field or None,
            operator=operator,
            value=value if value not in (None, "") else None,
            touchpoint=touchpoint or None,
        )
        return f"Rule #{rule.id} saved; rule set version {rule.version}."
    rule = set_rule_active(int(target), trigger == IDS.enable, actor=actor)
    state = "enabled" if rule.active else "disabled"
    return f"Rule #{rule.id} {state}; rule set version {rule.version}."


@callback(
    *contents(IDS.message),
    *rows(IDS.grid),
    *choices(IDS.target),
    *contents(IDS.version),
    *clicks(IDS.add, IDS.save, IDS.disable, IDS.enable, REMAP.confirm),
    *fields(IDS.priority),
    *texts(IDS.source, IDS.field, IDS.operator, IDS.value, IDS.touchpoint, IDS.target),
    prevent_initial_call=True,
)
def change_rules(_a, _s, _d, _e, _r, priority, source, field, operator, value, touchpoint, target):
    form = (priority, source, field, operator, value, touchpoint, target)
    message = outcome(lambda: _change(ctx.triggered_id, *form), (CommandError,))
    rules = _rows()
    return message, rules, _rule_options(rules), _version(rules)
