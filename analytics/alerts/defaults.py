"""The alert rules a new installation starts with, per channel category (but Unassigned): revenue
and orders outside their learned daily band, and weekly conversion rate 30 % or more below target.

``ensure_default_rules`` adds those missing and leaves every other rule alone: a default counts as
present when some rule (active or disabled, whatever its name) watches the same metric of the same
category with the same kind and grain, so running it again, or after an admin disabled or renamed
a default, adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from analytics.alerts.rules import RuleInfo
from analytics.alerts.rules import insert_rule
from analytics.metrics import get_metric
from analytics.rollup import channel_options
from db.alert_tables import AlertRule
from db.engine import session_scope
from db.roles import Actor

# Orders no channel rule matched: a data-quality matter (``channelperf validate``), not a channel.
UNASSIGNED = "unassigned"


@dataclass(frozen=True)
class DefaultRule:
    kind: str
    metric: str
    grain: str
    direction: str
    threshold: float | None = None  # target_deviation: the fraction below target that fires
    severity: str = "warning"

    def values(self, category: str, category_name: str) -> dict:
        label = get_metric(self.metric).label
        what = "below target" if self.kind == "target_deviation" else "outside its usual band"
        return {
            "name": f"{label} {what} · {category_name}",
            "kind": self.kind,
            "metric": self.metric,
            "scope_type": "category",
            "scope_code": category,
            "grain": self.grain,
            "direction": self.direction,
            "threshold": self.threshold,
            "severity": self.severity,
        }


DEFAULT_RULES = (
    DefaultRule("band", "revenue", "day", "both"),
    DefaultRule("band", "orders", "day", "both"),
    DefaultRule("target_deviation", "conversion_rate", "week", "below", threshold=0.3),
)


@dataclass(frozen=True)
class DefaultsResult:
    created: list[RuleInfo]
    present: int  # defaults that a rule already covered


def _present(session, rule: DefaultRule, category: str) -> bool:
    rules = AlertRule.__table__
    query = select(rules.c.id).where(
        rules.c.kind == rule.kind,
        rules.c.metric == rule.metric,
        rules.c.grain == rule.grain,
        rules.c.scope_type == "category",
        rules.c.scope_code == category,
        rules.c.region_code.is_(None),
        rules.c.location_code.is_(None),
    )
    return session.execute(query.limit(1)).first() is not None


def ensure_default_rules(actor: Actor) -> DefaultsResult:
    """Add the default rules missing for each channel category (admins only; one transaction,
    each new rule audited)."""
    actor.require("admin", "create the default alert rules")
    channels = channel_options()
    categories = []
    if not channels.empty:
        channels = channels[channels["category"] != UNASSIGNED]
        categories = channels[["category", "category_name"]].drop_duplicates().to_records(False)
    created, present = [], 0
    with session_scope() as session:
        for category, name in categories:
            for rule in DEFAULT_RULES:
                if _present(session, rule, category):
                    present += 1
                    continue
                created.append(insert_rule(session, rule.values(category, name), actor.name))
    return DefaultsResult(created, present)
