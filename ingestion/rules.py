"""The channel rule table as a ``ChannelRules`` set, and the audited commands (admins only)
that edit it.

The rule set's version is the highest ``version`` of any row, active or not; every
change (add, edit, disable, enable) stamps the changed row with that maximum + 1,
so orders record which rule set assigned their touchpoint.
"""

from __future__ import annotations

from dataclasses import asdict
from dataclasses import dataclass
from decimal import Decimal
from decimal import InvalidOperation

from sqlalchemy import Connection
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import audit
from db.engine import session_scope
from db.errors import CommandError
from db.roles import Actor
from db.schema import ChannelRule as RuleRow
from db.schema import Touchpoint
from ingestion.mapping import OPERATORS
from ingestion.mapping import ChannelRule
from ingestion.mapping import ChannelRules

MAX_VALUE = 200
MAX_PRIORITY = 1_000_000  # well inside the column's integer
# What a rule does: two active rules alike in all of them are one rule twice.
RULE_FIELDS = ("priority", "source_system", "field", "operator", "value", "touchpoint_id")


@dataclass(frozen=True)
class RuleInfo:
    id: int
    version: int
    priority: int
    source_system: str | None
    field: str
    operator: str
    value: str
    touchpoint: str
    active: bool
    created_by: str | None


def load_rules(conn: Connection) -> ChannelRules:
    """The active rules, version = the highest version of any rule row."""
    rows = conn.execute(
        select(
            RuleRow.priority,
            RuleRow.source_system,
            RuleRow.field,
            RuleRow.operator,
            RuleRow.value,
            Touchpoint.code,
        )
        .join(Touchpoint, Touchpoint.id == RuleRow.touchpoint_id)
        .where(RuleRow.active.is_(True))
    ).all()
    version = conn.execute(select(func.max(RuleRow.version))).scalar() or 0
    return ChannelRules([ChannelRule(*row) for row in rows], version=version)


def _info(rule: RuleRow, codes: dict[int, str]) -> RuleInfo:
    return RuleInfo(
        rule.id,
        rule.version,
        rule.priority,
        rule.source_system,
        rule.field,
        rule.operator,
        rule.value,
        codes[rule.touchpoint_id],
        rule.active,
        rule.created_by,
    )


def _codes(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Touchpoint.id, Touchpoint.code)).all())


def list_rules() -> list[RuleInfo]:
    """Every rule, active first, by priority."""
    with session_scope() as session:
        codes = _codes(session)
        rules = session.scalars(
            select(RuleRow).order_by(RuleRow.active.desc(), RuleRow.priority, RuleRow.id)
        )
        return [_info(rule, codes) for rule in rules]


def touchpoint_codes() -> list[str]:
    with session_scope() as session:
        query = select(Touchpoint.code).where(Touchpoint.retired_at.is_(None))
        return list(session.scalars(query.order_by(Touchpoint.sort_order)))


def _whole_number(priority) -> int:
    """The priority as an int; a fraction (1.5) is refused, not cut to 1."""
    try:
        number = Decimal(str(priority).strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number != number.to_integral_value():
        raise CommandError(f"priority must be a whole number, got {priority!r}")
    return int(number)


def _validated(session: Session, priority, source_system, field, operator, value, touchpoint):
    """The row's values (as ``add_rule`` takes them) after checking them; a bad one is a
    CommandError naming it."""
    field = (field or "").strip()
    value = (value or "").strip()
    source_system = (source_system or "").strip() or None
    if not field:
        raise CommandError("a rule needs the raw touchpoint field it matches on")
    if operator not in OPERATORS:
        raise CommandError(f"operator {operator!r} is not one of {', '.join(sorted(OPERATORS))}")
    if operator != "any" and not value:
        raise CommandError(f"the {operator!r} operator needs a value")
    if len(value) > MAX_VALUE:
        raise CommandError(f"the value is longer than {MAX_VALUE} characters")
    priority = _whole_number(priority)
    if not -MAX_PRIORITY <= priority <= MAX_PRIORITY:
        raise CommandError(f"priority must be between {-MAX_PRIORITY:,} and {MAX_PRIORITY:,}")
    try:
        ChannelRule(priority, source_system, field, operator, value, touchpoint)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    found = session.execute(
        select(Touchpoint.id, Touchpoint.retired_at).where(Touchpoint.code == touchpoint)
    ).first()
    if found is None:
        raise CommandError(f"unknown touchpoint {touchpoint!r}")
    if found.retired_at is not None:
        raise CommandError(f"touchpoint {touchpoint!r} is retired; restore it first")
    touchpoint_id = found.id
    return {
        "priority": priority,
        "source_system": source_system,
        "field": field,
        "operator": operator,
        "value": value,
        "touchpoint_id": touchpoint_id,
    }


def _refuse_duplicate(session: Session, values: dict, rule_id: int | None = None) -> None:
    """An active rule that does exactly what ``values`` would (other than rule ``rule_id``) is
    refused: it would change nothing but the rule set's version."""
    same = session.scalar(
        select(RuleRow.id)
        .where(
            RuleRow.active.is_(True),
            RuleRow.id != (rule_id or 0),
            *(getattr(RuleRow, c).is_not_distinct_from(values[c]) for c in RULE_FIELDS),
        )
        .order_by(RuleRow.id)
        .limit(1)
    )
    if same is not None:
        raise CommandError(
            f"active rule #{same} already does this (same source system, field, operator, "
            "value, priority and touchpoint); change or disable that one instead"
        )


def _next_version(session: Session) -> int:
    return (session.scalar(select(func.max(RuleRow.version))) or 0) + 1


def _get(session: Session, rule_id: int) -> RuleRow:
    rule = session.get(RuleRow, rule_id)
    if rule is None:
        raise CommandError(f"no channel rule with id {rule_id}")
    return rule


def add_rule(
    priority: int,
    source_system: str | None,
    field: str,
    operator: str,
    value: str,
    touchpoint: str,
    actor: Actor,
) -> RuleInfo:
    actor.require("admin", "add channel rules")
    with session_scope() as session:
        values = _validated(session, priority, source_system, field, operator, value, touchpoint)
        _refuse_duplicate(session, values)
        rule = RuleRow(**values, version=_next_version(session), active=True, created_by=actor.name)
        session.add(rule)
        session.flush()
        info = _info(rule, _codes(session))
        audit.record(
            session, actor.name, "channel_rule.add", "channel_rule", rule.id, None, asdict(info)
        )
        return info


def edit_rule(
    rule_id: int,
    actor: Actor,
    *,
    priority: int | None = None,
    source_system: str | None = None,
    field: str | None = None,
    operator: str | None = None,
    value: str | None = None,
    touchpoint: str | None = None,
) -> RuleInfo:
    """Change the given attributes of one rule (None keeps one; source_system "" means any)."""
    actor.require("admin", "change channel rules")
    with session_scope() as session:
        rule = _get(session, rule_id)
        codes = _codes(session)
        before = _info(rule, codes)
        values = _validated(
            session,
            before.priority if priority is None else priority,
            before.source_system if source_system is None else source_system,
            before.field if field is None else field,
            before.operator if operator is None else operator,
            before.value if value is None else value,
            before.touchpoint if touchpoint is None else touchpoint,
        )
        if rule.active:
            _refuse_duplicate(session, values, rule.id)
        for name, new in values.items():
            setattr(rule, name, new)
        rule.version = _next_version(session)
        session.flush()
        after = _info(rule, codes)
        audit.record(
            session,
            actor.name,
            "channel_rule.edit",
            "channel_rule",
            rule.id,
            asdict(before),
            asdict(after),
        )
        return after


def set_rule_active(rule_id: int, active: bool, actor: Actor) -> RuleInfo:
    actor.require("admin", "enable or disable channel rules")
    with session_scope() as session:
        rule = _get(session, rule_id)
        if rule.active == active:
            raise CommandError(f"rule {rule_id} is already {'active' if active else 'disabled'}")
        touchpoint = session.get(Touchpoint, rule.touchpoint_id)
        if active and touchpoint.retired_at is not None:
            raise CommandError(
                f"rule {rule_id} sends orders to the retired touchpoint {touchpoint.code!r}; "
                "restore it or point the rule elsewhere first"
            )
        if active:
            _refuse_duplicate(session, {c: getattr(rule, c) for c in RULE_FIELDS}, rule.id)
        codes = _codes(session)
        before = _info(rule, codes)
        rule.active = active
        rule.version = _next_version(session)
        session.flush()
        info = _info(rule, codes)
        action = "channel_rule.enable" if active else "channel_rule.disable"
        audit.record(
            session,
            actor.name,
            action,
            "channel_rule",
            rule.id,
            asdict(before),
            asdict(info),
        )
        return info
