"""The Admin › Channels page's data: every category and its touchpoints, each touchpoint with the
channel rules that send orders to it, and the choices the page's forms offer."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from analytics.taxonomy import CONVERSION_BASES
from analytics.taxonomy import list_channels
from db.engine import get_engine
from db.schema import ChannelRule
from db.schema import Touchpoint


@dataclass(frozen=True)
class ChannelsView:
    rows: list[dict]  # kind, code, category, touchpoint, basis, status, rules (grid rows)
    channels: list[dict]  # {"label", "value": "kind:code"} of every channel, for the change form
    categories: list[dict]  # {"label", "value": code} of the live categories a touchpoint joins
    bases: list[dict]  # conversion bases


def rule_text(rule) -> str:
    """A channel rule in words: ``#7 shopify source_name in amazon,ebay`` (disabled marked)."""
    value = f" {rule.value}" if rule.operator != "any" else ""
    text = f"#{rule.id} {rule.source_system or 'any source'} {rule.field} {rule.operator}{value}"
    return text if rule.active else f"{text} (disabled)"


def _rules_by_touchpoint(url: str | None) -> dict[str, list[str]]:
    query = (
        select(ChannelRule, Touchpoint.code)
        .join(Touchpoint, Touchpoint.id == ChannelRule.touchpoint_id)
        .order_by(ChannelRule.active.desc(), ChannelRule.priority, ChannelRule.id)
    )
    found: dict[str, list[str]] = defaultdict(list)
    with get_engine(url).connect() as conn:
        for row in conn.execute(query):
            found[row.code].append(rule_text(row))
    return found


def build_admin_channels(url: str | None = None) -> ChannelsView:
    channels = list_channels(url=url)
    rules = _rules_by_touchpoint(url)
    names = {c.code: c.name for c in channels if c.kind == "category"}
    rows = [
        {
            "kind": c.kind,
            "code": c.code,
            "category": names[c.category] if c.category else c.name,
            "touchpoint": c.name if c.kind == "touchpoint" else "",
            "basis": c.conversion_basis or "",
            "status": "retired" if c.retired else "active",
            "rules": "; ".join(rules.get(c.code, [])) if c.kind == "touchpoint" else "",
        }
        for c in channels
    ]
    return ChannelsView(
        rows,
        [
            {
                "label": f"{c.name} ({c.kind} {c.code}{', retired' if c.retired else ''})",
                "value": f"{c.kind}:{c.code}",
            }
            for c in channels
        ],
        [
            {"label": c.name, "value": c.code}
            for c in channels
            if c.kind == "category" and not c.retired
        ],
        [{"label": b, "value": b} for b in CONVERSION_BASES],
    )
