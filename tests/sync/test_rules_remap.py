"""Channel rules from the database, audited rule commands, and `remap` moving past orders."""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy import text

from db import audit
from db.engine import get_engine
from db.errors import CommandError
from db.roles import Actor
from db.roles import system
from db.schema import AuditLog
from ingestion.remap import parse_touchpoint_raw
from ingestion.remap import remap
from ingestion.rules import add_rule
from ingestion.rules import edit_rule
from ingestion.rules import list_rules
from ingestion.rules import load_rules
from ingestion.rules import set_rule_active
from ingestion.sync import Incoming
from ingestion.sync import Origin
from ingestion.sync import load_page
from tests.sync.shop import make_order

ALICE = Actor("alice", "admin")

pytestmark = pytest.mark.postgres
ORIGIN = Origin("shopify", "main-store", "webhook", "shop")


def _revenue_by_touchpoint(conn) -> dict[str, Decimal]:
    rows = conn.execute(
        text(
            "SELECT t.code, sum(r.gross_revenue) FROM daily_rollup r "
            "JOIN touchpoint t ON t.id = r.touchpoint_id GROUP BY t.code"
        )
    ).all()
    return {code: Decimal(value) for code, value in rows if value}


def _expected(orders: list[dict], channel_of: dict[str, str]) -> dict[str, Decimal]:
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for o in orders:
        touchpoint = channel_of.get(o["source_name"], "unassigned")
        revenue[touchpoint] += Decimal(o["total_price"]) - Decimal(o["total_tax"])
    return dict(revenue)


def _find(field: str, operator: str, value: str):
    return next(
        r for r in list_rules() if (r.field, r.operator, r.value) == (field, operator, value)
    )


def test_rule_change_and_remap_move_revenue_between_touchpoints(pg_url):
    orders = [make_order(n) for n in range(300)]
    engine = get_engine()
    load_page(engine, ORIGIN, [Incoming(None, o) for o in orders])
    before = {
        "web": "web",
        "iphone": "mobile_app",
        "android": "mobile_app",
        "amazon": "marketplace",
        "ebay": "marketplace",
    }
    with engine.connect() as conn:
        assert _revenue_by_touchpoint(conn) == _expected(orders, before)
        assert load_rules(conn).version == 1

    add_rule(5, "shopify", "source_name", "equals", "pos", "physical_store", actor=ALICE)
    marketplace = _find("source_name", "in", "amazon,ebay")
    edit_rule(marketplace.id, ALICE, value="amazon")
    android = _find("source_name", "in", "iphone,android,mobile_app")
    set_rule_active(android.id, False, actor=ALICE)
    with engine.connect() as conn:
        rules = load_rules(conn)
    assert rules.version == 4
    assert rules.match("shopify", {"source_name": "ebay"}) == "unassigned"

    result = remap(actor=ALICE)
    after = {**before, "pos": "physical_store"}
    del after["ebay"], after["iphone"], after["android"]
    with engine.connect() as conn:
        assert _revenue_by_touchpoint(conn) == _expected(orders, after)
        versions = conn.execute(text("SELECT DISTINCT mapping_version FROM sales_order")).scalars()
        assert set(versions) == {4}
        entries = conn.execute(
            select(AuditLog.actor, AuditLog.action, AuditLog.after).order_by(AuditLog.id)
        ).all()
        assert audit.verify(conn) == []
    moved_pos = sum(o["source_name"] == "pos" for o in orders)
    moved_ebay = sum(o["source_name"] == "ebay" for o in orders)
    assert result.moved[("unassigned", "physical_store")] == moved_pos
    assert result.moved[("marketplace", "unassigned")] == moved_ebay
    actions = [(actor, action) for actor, action, _ in entries]
    assert actions[-4:] == [
        ("alice", "channel_rule.add"),
        ("alice", "channel_rule.edit"),
        ("alice", "channel_rule.disable"),
        ("alice", "orders.remap"),
    ]
    assert entries[-1].after["moved"]["unassigned->physical_store"] == moved_pos

    # New loads use the database rules, and a second remap moves nothing.
    assert remap(actor=ALICE).orders_moved == 0


def test_rule_commands_refuse_bad_input(pg_url):
    with pytest.raises(CommandError, match="operator 'like'"):
        add_rule(1, "shopify", "source_name", "like", "x", "web", system())
    with pytest.raises(CommandError, match="bad regex"):
        add_rule(1, "shopify", "source_name", "regex", "([", "web", system())
    with pytest.raises(CommandError, match=re.escape("bad regex 'a{99999999999}'")):
        add_rule(1, "shopify", "source_name", "regex", "a{99999999999}", "web", system())
    with pytest.raises(CommandError, match="priority must be between"):
        add_rule(99_999_999_999, "shopify", "source_name", "equals", "x", "web", system())
    with pytest.raises(CommandError, match="unknown touchpoint"):
        add_rule(1, "shopify", "source_name", "equals", "x", "carrier_pigeon", system())
    with pytest.raises(CommandError, match="needs a value"):
        add_rule(1, "shopify", "source_name", "equals", "", "web", system())
    with pytest.raises(CommandError, match="no channel rule"):
        edit_rule(999, system(), value="x")


def test_touchpoint_raw_round_trips():
    assert parse_touchpoint_raw("LeadSource=Phone Inquiry;StageName=Closed Won") == {
        "LeadSource": "Phone Inquiry",
        "StageName": "Closed Won",
    }
    assert parse_touchpoint_raw("") == {}


def test_a_fractional_priority_is_refused_not_cut(pg_url):
    for priority in (1.5, "1.5", "two", None, float("inf")):
        with pytest.raises(CommandError, match="priority must be a whole number"):
            add_rule(priority, "shopify", "source_name", "equals", "x", "web", ALICE)
    rule = add_rule(7.0, "shopify", "source_name", "equals", "x", "web", ALICE)
    assert rule.priority == 7
    with pytest.raises(CommandError, match=re.escape("got 2.5")):
        edit_rule(rule.id, ALICE, priority=2.5)
    assert _find("source_name", "equals", "x").priority == 7


def test_a_rule_like_an_active_one_is_refused_naming_it(pg_url):
    first = add_rule(5, "shopify", "source_name", "equals", "pos", "physical_store", ALICE)
    same = (5, "shopify", "source_name", "equals", "pos", "physical_store")
    with pytest.raises(CommandError, match=f"active rule #{first.id} already does this"):
        add_rule(*same, ALICE)
    # Any other difference is another rule; an edit or enabling into a twin is refused too.
    other = add_rule(6, "shopify", "source_name", "equals", "pos", "physical_store", ALICE)
    add_rule(5, None, "source_name", "equals", "pos", "physical_store", ALICE)
    with pytest.raises(CommandError, match=f"active rule #{first.id}"):
        edit_rule(other.id, ALICE, priority=5)
    set_rule_active(first.id, False, ALICE)
    twin = add_rule(*same, ALICE)
    with pytest.raises(CommandError, match=f"active rule #{twin.id}"):
        set_rule_active(first.id, True, ALICE)
    edit_rule(twin.id, ALICE, value="pos")  # itself is no twin


def test_disabling_a_rule_audits_its_whole_state_before_and_after(pg_url):
    rule = add_rule(5, "shopify", "source_name", "equals", "pos", "physical_store", ALICE)
    set_rule_active(rule.id, False, ALICE)
    with get_engine().connect() as conn:
        entry = audit.entries(conn, action="channel_rule.disable", limit=1)[0]
    assert entry["before"] == {**entry["after"], "active": True, "version": rule.version}
    assert entry["after"]["active"] is False and entry["after"]["field"] == "source_name"
    assert audit.change_summary(entry["before"], entry["after"]) == (
        f"active: True → False · version: {rule.version} → {rule.version + 1}"
    )
