"""`channelperf rules …`: the touchpoint → channel rules (and `channelperf remap` to apply them to
the past)."""

from __future__ import annotations

import typer

from cli.common import ACTOR
from cli.common import PlainTable
from cli.common import console
from cli.common import failing_on
from db.errors import CommandError
from ingestion.rules import add_rule
from ingestion.rules import edit_rule
from ingestion.rules import list_rules
from ingestion.rules import set_rule_active

app = typer.Typer(name="rules", help="Touchpoint → channel rules.", no_args_is_help=True)


@app.command("list")
def rules_list() -> None:
    """Every channel rule, active first, by priority."""
    table = PlainTable(
        "id", "prio", "source", "field", "operator", "value", "touchpoint", "active", "v"
    )
    for r in list_rules():
        table.add_row(
            str(r.id),
            str(r.priority),
            r.source_system or "any",
            r.field,
            r.operator,
            r.value,
            r.touchpoint,
            "yes" if r.active else "no",
            str(r.version),
        )
    console.print(table)


@app.command("add")
def rules_add(
    priority: int = typer.Option(...),
    field: str = typer.Option(..., help="Raw touchpoint field, e.g. source_name"),
    operator: str = typer.Option("equals", help="equals | in | prefix | regex | any"),
    value: str = typer.Option("", help="Value (comma-separated for 'in')"),
    touchpoint: str = typer.Option(..., help="Touchpoint code, e.g. web"),
    source_system: str = typer.Option(None, help="Source system; none = any"),
) -> None:
    """Add a rule (bumps the rule-set version; run `channelperf remap` to apply it to the past)."""
    with failing_on(CommandError):
        rule = add_rule(priority, source_system, field, operator, value, touchpoint, actor=ACTOR)
    console.print(f"Added rule {rule.id} (rule set v{rule.version}).")


@app.command("edit")
def rules_edit(
    rule_id: int,
    priority: int = typer.Option(None),
    field: str = typer.Option(None),
    operator: str = typer.Option(None),
    value: str = typer.Option(None),
    touchpoint: str = typer.Option(None),
    source_system: str = typer.Option(None, help="'' for any source"),
) -> None:
    """Change a rule's attributes (bumps the rule-set version)."""
    with failing_on(CommandError):
        rule = edit_rule(
            rule_id,
            ACTOR,
            priority=priority,
            source_system=source_system,
            field=field,
            operator=operator,
            value=value,
            touchpoint=touchpoint,
        )
    console.print(f"Rule {rule.id} changed (rule set v{rule.version}).")


@app.command("disable")
def rules_disable(rule_id: int) -> None:
    with failing_on(CommandError):
        rule = set_rule_active(rule_id, False, actor=ACTOR)
    console.print(f"Rule {rule.id} disabled (rule set v{rule.version}).")


@app.command("enable")
def rules_enable(rule_id: int) -> None:
    with failing_on(CommandError):
        rule = set_rule_active(rule_id, True, actor=ACTOR)
    console.print(f"Rule {rule.id} enabled (rule set v{rule.version}).")
