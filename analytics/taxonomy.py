"""The channel taxonomy as data: categories and their touchpoints, and the commands (admins only)
that add, rename, retire, restore and delete them (a move is ``analytics.channel_move``).

Every command checks its actor, validates, writes and audits in one transaction. A retired
channel keeps its history (its orders, rollups, targets and alerts still count) but leaves the
pickers and may not be given new channel or alert rules; it can be restored. It retires only
once no active channel rule sends it orders and no active alert rule watches it (its targets
stay). Only a channel nothing refers to can be deleted (``analytics.channel_usage``). The
fallback ``unassigned`` category and touchpoint, where orders no rule matches go, can only be
renamed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict
from dataclasses import dataclass

from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.cache import invalidate_days
from analytics.channel_usage import days_of
from analytics.channel_usage import targets_from
from analytics.channel_usage import usage
from analytics.channel_usage import watching_alert_rules
from analytics.errors import AnalyticsError
from db import audit
from db.engine import session_scope
from db.roles import Actor
from db.schema import ChannelCategory
from db.schema import ChannelRule
from db.schema import Touchpoint
from db.settings import get_settings

CODE = re.compile(r"^[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*$")
MAX_CODE, MAX_NAME = 40, 80
# Codes the app gives a meaning of its own (all channels, no region, the series total).
RESERVED = frozenset({"all", "total", "none"})
FALLBACK = "unassigned"
CONVERSION_BASES = ("sessions", "footfall", "opportunities")
KINDS = ("category", "touchpoint")
TABLES = {"category": ChannelCategory, "touchpoint": Touchpoint}


@dataclass(frozen=True)
class ChannelInfo:
    """One category or touchpoint (``category`` and ``conversion_basis`` for touchpoints)."""

    kind: str
    code: str
    name: str
    category: str | None
    conversion_basis: str | None
    retired: bool


def channel_info(session: Session, row: ChannelCategory | Touchpoint) -> ChannelInfo:
    if isinstance(row, ChannelCategory):
        return ChannelInfo("category", row.code, row.name, None, None, row.retired_at is not None)
    category = session.get(ChannelCategory, row.category_id)
    return ChannelInfo(
        "touchpoint",
        row.code,
        row.name,
        category.code,
        row.conversion_basis,
        row.retired_at is not None,
    )


def list_channels(include_retired: bool = True, url: str | None = None) -> list[ChannelInfo]:
    """Every category, each followed by its touchpoints, in their sort order."""
    with session_scope(url) as session:
        categories = session.scalars(
            select(ChannelCategory).order_by(ChannelCategory.sort_order, ChannelCategory.code)
        ).all()
        touchpoints = session.scalars(
            select(Touchpoint).order_by(Touchpoint.sort_order, Touchpoint.code)
        ).all()
        out = []
        for category in categories:
            out.append(channel_info(session, category))
            out += [channel_info(session, t) for t in touchpoints if t.category_id == category.id]
    return [c for c in out if include_retired or not c.retired]


def checked_code(code: str | None) -> str:
    """A new channel's code: a lowercase slug (``web``, ``travel_agents``), not a reserved word."""
    code = (code or "").strip()
    if not code:
        raise AnalyticsError("a channel needs a code, e.g. travel_agents")
    if len(code) > MAX_CODE or not CODE.match(code):
        raise AnalyticsError(
            f"code {code!r} must be a lowercase slug of at most {MAX_CODE} characters: "
            "letters, digits, '_' or '-', starting with a letter (e.g. travel_agents)"
        )
    if code in RESERVED:
        raise AnalyticsError(f"code {code!r} is reserved; choose another")
    return code


def _checked_name(session: Session, table: type, name: str | None, code: str) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME:
        raise AnalyticsError(f"a channel's name must have 1–{MAX_NAME} characters")
    same = session.execute(
        select(table.code, table.name).where(
            func.lower(table.name) == name.lower(), table.code != code
        )
    ).first()
    if same is not None:
        raise AnalyticsError(f"{same.code!r} is already named {same.name!r}; choose another name")
    return name


def _refuse_taken(session: Session, code: str) -> None:
    for kind, table in TABLES.items():
        if session.scalar(select(table.id).where(table.code == code)) is not None:
            raise AnalyticsError(f"a {kind} with code {code!r} already exists")


def find(session: Session, code: str, kind: str | None = None) -> ChannelCategory | Touchpoint:
    """The category or touchpoint with ``code`` (``kind`` settles a code both use)."""
    if kind is not None and kind not in KINDS:
        raise AnalyticsError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    found = [
        row
        for name, table in TABLES.items()
        if kind in (None, name)
        for row in session.scalars(select(table).where(table.code == code))
    ]
    if not found:
        raise AnalyticsError(f"no {kind or 'channel'} with code {code!r}")
    if len(found) > 1:
        raise AnalyticsError(
            f"{code!r} is both a category and a touchpoint; say which kind (category or touchpoint)"
        )
    return found[0]


def category_row(session: Session, code: str) -> ChannelCategory:
    """A category that may take touchpoints: it exists and is not retired."""
    if not code:
        raise AnalyticsError("choose a category")
    category = session.scalar(select(ChannelCategory).where(ChannelCategory.code == code))
    if category is None:
        raise AnalyticsError(f"no category with code {code!r}; add it first")
    if category.retired_at is not None:
        raise AnalyticsError(f"category {code!r} is retired; restore it first")
    return category


def _next_sort(session: Session, table: type) -> int:
    """After every channel but the fallback (which stays last)."""
    last = session.scalar(select(func.max(table.sort_order)).where(table.code != FALLBACK))
    return (last or 0) + 1


def audited(session: Session, by: str, action: str, before, row) -> ChannelInfo:
    """Audit a change from ``before`` (a ChannelInfo, None for an addition) to ``row``'s state
    (None for a deletion); returns the state after (or before a deletion)."""
    session.flush()
    after = channel_info(session, row) if row is not None else None
    subject = after or before
    audit.record(
        session,
        by,
        f"channel.{action}",
        "channel_category" if subject.kind == "category" else "touchpoint",
        subject.code,
        before and asdict(before),
        after and asdict(after),
    )
    return subject


def add_category(code: str, name: str, actor: Actor, url: str | None = None) -> ChannelInfo:
    """A new channel category, e.g. ``travel_agents`` "Travel agents"."""
    actor.require("admin", "add channel categories")
    code = checked_code(code)
    with session_scope(url) as session:
        _refuse_taken(session, code)
        row = ChannelCategory(
            code=code,
            name=_checked_name(session, ChannelCategory, name, code),
            sort_order=_next_sort(session, ChannelCategory),
        )
        session.add(row)
        return audited(session, actor.name, "add_category", None, row)


def add_touchpoint(
    code: str,
    name: str,
    category: str,
    actor: Actor,
    conversion_basis: str = "sessions",
    url: str | None = None,
) -> ChannelInfo:
    """A new touchpoint in ``category``; its conversion rate divides by ``conversion_basis``."""
    actor.require("admin", "add touchpoints")
    code = checked_code(code)
    if conversion_basis not in CONVERSION_BASES:
        raise AnalyticsError(
            f"conversion basis must be one of {', '.join(CONVERSION_BASES)}, "
            f"got {conversion_basis!r}"
        )
    with session_scope(url) as session:
        _refuse_taken(session, code)
        row = Touchpoint(
            code=code,
            name=_checked_name(session, Touchpoint, name, code),
            category_id=category_row(session, (category or "").strip()).id,
            conversion_basis=conversion_basis,
            sort_order=_next_sort(session, Touchpoint),
        )
        session.add(row)
        return audited(session, actor.name, "add_touchpoint", None, row)


def _touchpoint_ids(session: Session, row) -> list[int]:
    if isinstance(row, Touchpoint):
        return [row.id]
    return list(session.scalars(select(Touchpoint.id).where(Touchpoint.category_id == row.id)))


def rename_channel(
    code: str, name: str, actor: Actor, kind: str | None = None, url: str | None = None
) -> ChannelInfo:
    """A new display name (the code, which data and rules refer to, stays)."""
    actor.require("admin", "rename channels")
    with session_scope(url) as session:
        row = find(session, code, kind)
        before = channel_info(session, row)
        new = _checked_name(session, type(row), name, row.code)
        if new == row.name:
            raise AnalyticsError(f"{code!r} is already named {new!r}")
        row.name = new
        info = audited(session, actor.name, "rename", before, row)
        days = days_of(session.connection(), _touchpoint_ids(session, row))
    # Cached results carry channel names: those of the channel's days are recomputed.
    invalidate_days(days, url)
    return info


def refuse_fallback(row, what: str) -> None:
    if row.code == FALLBACK:
        raise AnalyticsError(f"{FALLBACK!r} takes the orders no rule matches; it cannot be {what}")


def _in_use_by_live_rows(session: Session, row) -> list[str]:
    """Why ``row`` cannot retire yet: rules still sending it orders, live touchpoints, or alert
    rules still watching it."""
    reasons = []
    if isinstance(row, Touchpoint):
        rules = session.scalars(
            select(ChannelRule.id).where(
                ChannelRule.touchpoint_id == row.id, ChannelRule.active.is_(True)
            )
        ).all()
        if rules:
            reasons.append(
                f"active channel rule(s) {', '.join(str(r) for r in rules)} still send orders "
                f"to {row.code!r}; disable or repoint them first"
            )
    else:
        live = session.scalars(
            select(Touchpoint.code).where(
                Touchpoint.category_id == row.id, Touchpoint.retired_at.is_(None)
            )
        ).all()
        if live:
            reasons.append(
                f"category {row.code!r} still holds touchpoint(s) {', '.join(live)}; "
                "retire or move them first"
            )
    watching = watching_alert_rules(session.connection(), row)
    if watching:
        reasons.append(
            f"active alert rule(s) {', '.join(watching)} still watch {row.code!r}; disable them "
            "or change their scope first (Admin › Alert rules)"
        )
    return reasons


def _set_retired(
    code: str, kind: str | None, url: str | None, by: str, retire: bool
) -> ChannelInfo:
    with session_scope(url) as session:
        row = find(session, code, kind)
        if (row.retired_at is not None) == retire:
            raise AnalyticsError(f"{row.code!r} is {'already' if retire else 'not'} retired")
        if retire:
            refuse_fallback(row, "retired")
            blockers = _in_use_by_live_rows(session, row)
            if blockers:
                raise AnalyticsError("; and ".join(blockers))
        elif isinstance(row, Touchpoint):
            category_row(session, session.get(ChannelCategory, row.category_id).code)
        before = channel_info(session, row)
        row.retired_at = dt.datetime.now(dt.UTC) if retire else None
        return audited(session, by, "retire" if retire else "restore", before, row)


def retire_channel(
    code: str, actor: Actor, kind: str | None = None, url: str | None = None
) -> ChannelInfo:
    """Hide a channel from pickers and new rules, keeping its history."""
    actor.require("admin", "retire channels")
    return _set_retired(code, kind, url, actor.name, retire=True)


def retirement_note(code: str, kind: str | None = None, url: str | None = None) -> str:
    """What retiring a channel leaves in place, in words: its targets still to come ("" if
    none); they stay, with its history."""
    today = dt.datetime.now(get_settings().tz).date()
    with session_scope(url) as session:
        count, last = targets_from(session.connection(), find(session, code, kind), today)
    if not count:
        return ""
    return (
        f"Its targets for today and later ({count}, the last ending {last}) stay: delete them "
        "on Admin › Targets if they no longer apply."
    )


def restore_channel(
    code: str, actor: Actor, kind: str | None = None, url: str | None = None
) -> ChannelInfo:
    """Bring a retired channel back into pickers and rules."""
    actor.require("admin", "restore channels")
    return _set_retired(code, kind, url, actor.name, retire=False)


def delete_channel(
    code: str, actor: Actor, kind: str | None = None, url: str | None = None
) -> ChannelInfo:
    """Remove a channel nothing refers to (one added by mistake); a channel in use is refused."""
    actor.require("admin", "delete channels")
    with session_scope(url) as session:
        row = find(session, code, kind)
        refuse_fallback(row, "deleted")
        used = usage(session.connection(), row)
        if used:
            counts = ", ".join(f"{n:,} {what}" for what, n in used.items())
            raise AnalyticsError(
                f"{row.code!r} is in use ({counts}); it cannot be deleted — retire it instead"
            )
        before = channel_info(session, row)
        session.delete(row)
        return audited(session, actor.name, "delete", before, None)
