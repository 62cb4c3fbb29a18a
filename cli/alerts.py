"""``channelperf alerts``: manage alert rules, evaluate them, escalate overdue alerts, deliver
notifications."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.markup import escape

from analytics.alerts import jobs
from analytics.alerts import notifications
from analytics.alerts.defaults import ensure_default_rules
from analytics.alerts.rules import DIRECTIONS
from analytics.alerts.rules import KINDS
from analytics.alerts.rules import RULE_GRAINS
from analytics.alerts.rules import SCOPE_TYPES
from analytics.alerts.rules import SEVERITIES
from analytics.alerts.rules import create_rule
from analytics.alerts.rules import list_rules
from analytics.alerts.rules import set_rule_active
from analytics.alerts.workflow import escalate_overdue
from analytics.errors import AnalyticsError
from analytics.periods import COMPARISONS
from analytics.rollup import data_range
from cli.common import ACTOR
from cli.common import PlainTable
from cli.common import console
from cli.common import date_option
from cli.common import fail
from cli.common import failing_on

app = typer.Typer(
    name="alerts",
    help="Alert rules, evaluation, escalation and notifications.",
    no_args_is_help=True,
)
rules_app = typer.Typer(
    name="rules", help="List, add, disable and enable alert rules.", no_args_is_help=True
)
app.add_typer(rules_app)


def _one_of(name: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise fail(f"--{name} must be one of {', '.join(allowed)}, not {value!r}")


@rules_app.command("list")
def rules_list(all_: Annotated[bool, typer.Option("--all", help="Include disabled rules")] = False):
    """The alert rules (active ones unless --all)."""
    table = PlainTable(
        "id", "name", "kind", "metric", "scope", "grain", "severity", "limit", "active"
    )
    for rule in list_rules(active_only=not all_):
        limit = "" if rule.threshold is None else f"{rule.direction} {rule.threshold:g}"
        table.add_row(
            str(rule.id),
            rule.name,
            rule.kind,
            rule.metric,
            rule.scope_label,
            rule.grain,
            rule.severity,
            limit,
            "yes" if rule.active else "no",
        )
    console.print(table)


@rules_app.command("add")
def rules_add(
    name: Annotated[str, typer.Option(help="A unique name")],
    kind: Annotated[str, typer.Option(help=", ".join(KINDS))],
    metric: Annotated[str, typer.Option(help="A metric name, e.g. revenue")] = "revenue",
    scope: Annotated[str, typer.Option(help=", ".join(SCOPE_TYPES))] = "total",
    channel: Annotated[str | None, typer.Option(help="Category or touchpoint code")] = None,
    region: Annotated[str | None, typer.Option(help="Region code")] = None,
    store: Annotated[str | None, typer.Option(help="Store (location) code")] = None,
    severity: Annotated[str, typer.Option(help=", ".join(SEVERITIES))] = "warning",
    grain: Annotated[str, typer.Option(help=", ".join(RULE_GRAINS))] = "day",
    direction: Annotated[str | None, typer.Option(help=", ".join(DIRECTIONS))] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Absolute value, or a fraction for % rules (0.1 = 10%)")
    ] = None,
    comparison: Annotated[str | None, typer.Option(help=", ".join(COMPARISONS))] = None,
    email: Annotated[list[str] | None, typer.Option(help="Recipient (repeatable)")] = None,
    webhook: Annotated[str | None, typer.Option(help="Slack-compatible webhook URL")] = None,
    escalate_email: Annotated[
        list[str] | None, typer.Option(help="Escalation recipient (repeatable)")
    ] = None,
    escalate_webhook: Annotated[str | None, typer.Option(help="Escalation webhook URL")] = None,
    k: Annotated[float | None, typer.Option(help="Band width in standard deviations")] = None,
    max_anoms: Annotated[float | None, typer.Option(help="S-H-ESD max share of anomalies")] = None,
) -> None:
    """Add an alert rule."""
    _one_of("kind", kind, KINDS)
    _one_of("scope", scope, SCOPE_TYPES)
    _one_of("severity", severity, SEVERITIES)
    _one_of("grain", grain, RULE_GRAINS)
    _one_of("direction", direction, DIRECTIONS)
    _one_of("comparison", comparison, COMPARISONS)
    params = {
        key: value for key, value in (("k", k), ("max_anoms", max_anoms)) if value is not None
    }
    values = {
        "name": name,
        "kind": kind,
        "metric": metric,
        "scope_type": scope,
        "scope_code": channel,
        "region_code": region,
        "location_code": store,
        "severity": severity,
        "grain": grain,
        "direction": direction,
        "threshold": threshold,
        "comparison": comparison,
        "params": params,
        "recipients": {"emails": email or [], "webhook": webhook},
        "escalation": {"emails": escalate_email or [], "webhook": escalate_webhook},
    }
    with failing_on(AnalyticsError):
        rule = create_rule(values, actor=ACTOR)
    console.print(f"Added rule {rule.id}: {escape(rule.name)}")


def _set_active(rule_id: int, active: bool) -> None:
    with failing_on(AnalyticsError):
        rule = set_rule_active(rule_id, active, actor=ACTOR)
    state = "enabled" if active else "disabled"
    console.print(f"Rule {rule.id} ({escape(rule.name)}) is {state}.")


@rules_app.command("disable")
def rules_disable(rule_id: int) -> None:
    """Disable a rule (kept, with its alerts, but no longer evaluated)."""
    _set_active(rule_id, False)


@rules_app.command("enable")
def rules_enable(rule_id: int) -> None:
    """Enable a disabled rule again."""
    _set_active(rule_id, True)


@app.command("evaluate")
def evaluate(
    at: Annotated[
        str | None,
        typer.Option(help="As-of day YYYY-MM-DD (default: the last day with orders that is over)"),
    ] = None,
) -> None:
    """Evaluate every active rule on its latest complete bucket and send what fired."""
    as_of = date_option("at", at)
    with console.status("Evaluating alert rules…"), failing_on(AnalyticsError):
        result = jobs.evaluate_all(as_of, deliver=False)
        delivered = notifications.deliver_pending()
    if result.as_of is None:
        raise fail("no day with orders has ended yet")
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(result.outcomes.items())) or "none"
    console.print(
        f"As of {result.as_of}: {result.evaluated} rules in {result.seconds:.2f} s "
        f"({outcomes}); fired alerts {result.fired or 'none'}; "
        f"notifications sent {delivered.sent}, retrying {delivered.retrying}, "
        f"failed {delivered.failed}."
    )


@app.command("defaults")
def defaults(
    backfill_days: Annotated[
        int,
        typer.Option(min=0, max=730, help="Judge the new rules on this many past days of data"),
    ] = 120,
) -> None:
    """Add the default rules (revenue and orders bands, conversion vs target, per channel
    category) that are missing, and judge the new ones on the loaded history. Idempotent."""
    with failing_on(AnalyticsError):
        added = ensure_default_rules(actor=ACTOR)
    console.print(
        f"Default alert rules: {len(added.created)} added, {added.present} already present."
    )
    bounds = data_range()
    last = jobs.last_complete_day()
    if not added.created or not backfill_days or bounds is None or last is None:
        return
    days = [last - dt.timedelta(days=n) for n in range(backfill_days)]
    with console.status(f"Judging the new rules on the last {backfill_days} days…"):
        result = jobs.evaluate_days(added.created, [d for d in days if d >= bounds[0]])
    console.print(
        f"Judged {result.evaluated} new rules on the {backfill_days} days to {last}: "
        f"{len(result.fired)} alerts fired."
    )


@app.command("escalate")
def escalate() -> None:
    """Escalate alerts whose root cause is overdue (24 h) and deliver the notifications."""
    escalated = escalate_overdue()
    delivered = notifications.deliver_pending()
    console.print(
        f"Escalated {len(escalated)} overdue alert(s){': ' + str(escalated) if escalated else ''}; "
        f"notifications sent {delivered.sent}, retrying {delivered.retrying}."
    )


@app.command("deliver")
def deliver() -> None:
    """Send due notifications from the outbox (failed ones wait for their backoff)."""
    delivered = notifications.deliver_pending()
    console.print(
        f"Sent {delivered.sent}, retrying {delivered.retrying}, failed {delivered.failed}."
    )
