"""Alert rules: what to watch, when it is a breach, who hears about it; commands that change them.

When a rule fires is up to its kind: one file per kind in ``analytics.alerts.kinds``
(threshold, target deviation, change, margin below threshold, and the automatic expected band
and seasonal hybrid ESD).

Every change is a command (admins only) that checks its actor, validates, applies and writes its
audit entry in one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import asdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import object_session

from analytics.alerts.kinds import RULE_KINDS
from analytics.alerts.kinds.base import choice
from analytics.errors import AnalyticsError
from analytics.metrics import METRICS
from analytics.target_rows import SCOPE_TYPES
from db import audit
from db.alert_tables import AlertRule
from db.engine import session_scope
from db.roles import Actor
from db.schema import ChannelCategory
from db.schema import Location
from db.schema import Region
from db.schema import Touchpoint

KINDS = tuple(RULE_KINDS)
KIND_LABELS = {name: kind.label for name, kind in RULE_KINDS.items()}
SEVERITIES = ("info", "warning", "critical")
RULE_GRAINS = ("day", "week", "month")
DIRECTIONS = ("above", "below", "both")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CHANNEL_TABLES = {"category": ChannelCategory, "touchpoint": Touchpoint}
EDITABLE = (
    "name",
    "metric",
    "kind",
    "scope_type",
    "scope_code",
    "region_code",
    "location_code",
    "severity",
    "grain",
    "direction",
    "threshold",
    "comparison",
    "params",
    "recipients",
    "escalation",
)


@dataclass(frozen=True)
class RuleInfo:
    id: int
    name: str
    metric: str
    kind: str
    scope_type: str
    scope_code: str
    region_code: str | None
    location_code: str | None
    severity: str
    grain: str
    direction: str
    threshold: float | None
    comparison: str | None
    params: dict
    recipients: dict
    escalation: dict
    active: bool
    updated_by: str
    # The scope in words, with the channel's, region's and store's names as the rule was
    # loaded; rule snapshots from before it was kept have none.
    scope_name: str = ""

    @classmethod
    def of(cls, rule: AlertRule) -> RuleInfo:
        """The rule as loaded in its session, its scope named from the dimension tables."""
        return cls(
            id=rule.id,
            name=rule.name,
            metric=rule.metric,
            kind=rule.kind,
            scope_type=rule.scope_type,
            scope_code=rule.scope_code,
            region_code=rule.region_code,
            location_code=rule.location_code,
            severity=rule.severity,
            grain=rule.grain,
            direction=rule.direction,
            threshold=None if rule.threshold is None else float(rule.threshold),
            comparison=rule.comparison,
            params=dict(rule.params or {}),
            recipients=_contacts(rule.recipients),
            escalation=_contacts(rule.escalation),
            active=rule.active,
            updated_by=rule.updated_by,
            scope_name=_named_scope(rule),
        )

    def snapshot(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def scope_label(self) -> str:
        return self.scope_name or _scope_text(
            self.scope_type, self.scope_code, self.region_code, self.location_code
        )


def _scope_text(
    scope_type: str,
    scope_code: str,
    region_code: str | None,
    location_code: str | None,
    name_of: Callable[[type, str], str | None] | None = None,
) -> str:
    """The scope in words: its channel (or all channels), region and store, by code
    ("web · de · berlin-mitte") or, with ``name_of`` (table, code → name), by name
    ("Web · Germany · Berlin Mitte")."""
    channel = CHANNEL_TABLES.get(scope_type)
    parts = [] if channel else ["All channels"]
    for table, code in ((channel, scope_code), (Region, region_code), (Location, location_code)):
        if table is not None and code:
            parts.append((name_of(table, code) if name_of else None) or code)
    return " · ".join(parts)


def _named_scope(rule: AlertRule) -> str:
    """The rule's scope by name, read in the rule's own session (none for a detached rule)."""
    session = object_session(rule)
    if session is None:
        return ""

    def name_of(table: type, code: str) -> str | None:
        return session.scalar(select(table.name).where(table.code == code))

    return _scope_text(
        rule.scope_type, rule.scope_code, rule.region_code, rule.location_code, name_of
    )


def _contacts(value: dict | None) -> dict:
    value = value or {}
    return {"emails": list(value.get("emails") or []), "webhook": value.get("webhook") or None}


def _check_contacts(field: str, value: Any) -> dict:
    if value is None:
        return {"emails": [], "webhook": None}
    if not isinstance(value, dict):
        raise AnalyticsError(f"{field} must be an object with 'emails' and 'webhook'")
    emails = value.get("emails") or []
    if isinstance(emails, str):
        emails = [e.strip() for e in emails.split(",") if e.strip()]
    bad = [e for e in emails if not EMAIL.match(e)]
    if bad:
        raise AnalyticsError(f"{field}: not an email address: {', '.join(bad)}")
    webhook = (value.get("webhook") or "").strip() or None
    if webhook and not webhook.startswith(("http://", "https://")):
        raise AnalyticsError(f"{field}: the webhook must be an http:// or https:// URL")
    return {"emails": list(emails), "webhook": webhook}


def _known_code(session, table, field: str, code: str | None) -> str | None:
    """``code`` if ``table`` has it (a retired channel is refused: rules watch live ones)."""
    if not code:
        return None
    found = session.scalar(select(table).where(table.code == code))
    if found is None:
        raise AnalyticsError(f"unknown {field} {code!r}")
    if getattr(found, "retired_at", None) is not None:
        raise AnalyticsError(f"{field} {code!r} is retired; restore it first")
    return code


def _threshold(value: Any) -> Decimal | None:
    if value in ("", None):
        return None
    try:
        threshold = Decimal(str(value))
    except ArithmeticError:
        raise AnalyticsError(f"threshold {value!r} is not a number") from None
    if not threshold.is_finite():
        raise AnalyticsError("threshold must be a finite number")
    return threshold


def validated(session, values: dict[str, Any]) -> dict[str, Any]:
    """The rule's columns from user input, checked; raises AnalyticsError naming the field."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise AnalyticsError(f"unknown rule field(s): {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    name = str(values.get("name") or "").strip()
    if not 2 <= len(name) <= 120:
        raise AnalyticsError("name must have 2–120 characters")
    out["name"] = name
    kind = RULE_KINDS[choice("kind", values.get("kind"), KINDS)]
    out["kind"] = kind.name
    out["metric"] = choice("metric", values.get("metric") or kind.default_metric, tuple(METRICS))
    out["severity"] = choice("severity", values.get("severity") or "warning", SEVERITIES)
    out["grain"] = choice("grain", values.get("grain") or "day", RULE_GRAINS)
    out["scope_type"] = choice("scope", values.get("scope_type") or "total", SCOPE_TYPES)
    scope_code = str(values.get("scope_code") or "").strip()
    if out["scope_type"] == "total":
        scope_code = ""
    else:
        if not scope_code:
            raise AnalyticsError(f"choose the {out['scope_type']} the rule watches")
        _known_code(session, CHANNEL_TABLES[out["scope_type"]], out["scope_type"], scope_code)
    out["scope_code"] = scope_code
    out["region_code"] = _known_code(session, Region, "region", values.get("region_code"))
    out["location_code"] = _known_code(session, Location, "store", values.get("location_code"))
    direction = values.get("direction") or kind.default_direction
    out["direction"] = choice("direction", direction, DIRECTIONS)
    out["threshold"] = _threshold(values.get("threshold"))
    out["comparison"] = values.get("comparison") or None
    kind.validate(out)
    params = values.get("params") or {}
    if not isinstance(params, dict):
        raise AnalyticsError("params must be an object")
    for key, low, high in (("k", 0.5, 10), ("max_anoms", 0.01, 0.49), ("alpha", 0.0001, 0.5)):
        if key in params and not (
            isinstance(params[key], (int, float)) and low <= params[key] <= high
        ):
            raise AnalyticsError(f"params.{key} must be a number from {low} to {high}")
    out["params"] = params
    out["recipients"] = _check_contacts("recipients", values.get("recipients"))
    out["escalation"] = _check_contacts("escalation recipients", values.get("escalation"))
    return out


def _audit_view(rule: AlertRule) -> dict[str, Any]:
    view = RuleInfo.of(rule).snapshot()
    view.pop("id")
    view.pop("scope_name")  # derived from the scope's codes, which the view keeps
    return view


def insert_rule(session, values: dict[str, Any], actor_name: str) -> RuleInfo:
    """Validate, add and audit one rule in the caller's session (its command checked the role)."""
    columns = validated(session, values)
    if session.scalar(select(AlertRule.id).where(AlertRule.name == columns["name"])):
        raise AnalyticsError(f"a rule named {columns['name']!r} already exists")
    now = dt.datetime.now(dt.UTC)
    rule = AlertRule(
        **columns,
        active=True,
        created_by=actor_name,
        updated_by=actor_name,
        created_at=now,
        updated_at=now,
    )
    session.add(rule)
    session.flush()
    audit.record(
        session, actor_name, "alert_rule.create", "alert_rule", rule.id, None, _audit_view(rule)
    )
    return RuleInfo.of(rule)


def create_rule(values: dict[str, Any], actor: Actor) -> RuleInfo:
    actor.require("admin", "create alert rules")
    with session_scope() as session:
        return insert_rule(session, values, actor.name)


def _get(session, rule_id: int) -> AlertRule:
    rule = session.get(AlertRule, rule_id)
    if rule is None:
        raise AnalyticsError(f"no alert rule with id {rule_id}")
    return rule


def update_rule(rule_id: int, values: dict[str, Any], actor: Actor) -> RuleInfo:
    """Change a rule; fields not given keep their value."""
    actor.require("admin", "change alert rules")
    with session_scope() as session:
        rule = _get(session, rule_id)
        before = _audit_view(rule)
        current = {k: before[k] for k in EDITABLE}
        columns = validated(session, current | values)
        clash = session.scalar(
            select(AlertRule.id).where(AlertRule.name == columns["name"], AlertRule.id != rule_id)
        )
        if clash:
            raise AnalyticsError(f"a rule named {columns['name']!r} already exists")
        for key, value in columns.items():
            setattr(rule, key, value)
        rule.updated_by = actor.name
        rule.updated_at = dt.datetime.now(dt.UTC)
        session.flush()
        audit.record(
            session,
            actor.name,
            "alert_rule.update",
            "alert_rule",
            rule_id,
            before,
            _audit_view(rule),
        )
        return RuleInfo.of(rule)


def set_rule_active(rule_id: int, active: bool, actor: Actor) -> RuleInfo:
    actor.require("admin", "enable or disable alert rules")
    with session_scope() as session:
        rule = _get(session, rule_id)
        if active and rule.scope_type in CHANNEL_TABLES:
            # A retired channel keeps no watching rules (retiring refuses while one is active).
            _known_code(session, CHANNEL_TABLES[rule.scope_type], rule.scope_type, rule.scope_code)
        before = rule.active
        rule.active = active
        rule.updated_by = actor.name
        rule.updated_at = dt.datetime.now(dt.UTC)
        action = "alert_rule.enable" if active else "alert_rule.disable"
        audit.record(
            session,
            actor.name,
            action,
            "alert_rule",
            rule_id,
            {"active": before},
            {"active": active},
        )
        return RuleInfo.of(rule)


def list_rules(active_only: bool = False, url: str | None = None) -> list[RuleInfo]:
    with session_scope(url) as session:
        query = select(AlertRule).order_by(AlertRule.id)
        if active_only:
            query = query.where(AlertRule.active.is_(True))
        return [RuleInfo.of(r) for r in session.scalars(query)]


def get_rule(rule_id: int) -> RuleInfo:
    with session_scope() as session:
        return RuleInfo.of(_get(session, rule_id))
