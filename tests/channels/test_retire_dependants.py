"""Retiring a channel with something still pointing at it: active alert rules watching it refuse
the retirement (listed, as active channel rules are), and may not be enabled on it afterwards;
its targets still to come stay, and the page's and the CLI's message say so."""

from __future__ import annotations

import datetime as dt

import pytest
from typer.testing import CliRunner

from analytics.alerts.rules import create_rule
from analytics.alerts.rules import set_rule_active as set_alert_rule_active
from analytics.channel_move import move_touchpoint
from analytics.errors import AnalyticsError
from analytics.targets import TargetInput
from analytics.targets import set_target
from analytics.taxonomy import add_category
from analytics.taxonomy import add_touchpoint
from analytics.taxonomy import list_channels
from analytics.taxonomy import retire_channel
from analytics.taxonomy import retirement_note
from cli.main import app
from db.roles import Actor
from db.settings import get_settings
from ingestion.rules import list_rules
from ingestion.rules import set_rule_active

pytestmark = pytest.mark.postgres
ADMIN = Actor("ada", "admin")


def _watch(scope_type: str, code: str, name: str) -> int:
    return create_rule(
        {
            "name": name,
            "kind": "threshold",
            "metric": "revenue",
            "scope_type": scope_type,
            "scope_code": code,
            "direction": "below",
            "threshold": 10,
        },
        ADMIN,
    ).id


def _retired(code: str) -> bool:
    return next(c for c in list_channels() if c.code == code).retired


def test_active_alert_rules_watching_a_channel_refuse_its_retirement(pg_url):
    for rule in list_rules():
        if rule.touchpoint == "marketplace" and rule.active:
            set_rule_active(rule.id, False, ADMIN)
    floor = _watch("touchpoint", "marketplace", "Marketplace floor")
    drop = _watch("touchpoint", "marketplace", "Marketplace drop")
    _watch("touchpoint", "web", "Web floor")
    with pytest.raises(AnalyticsError) as refused:
        retire_channel("marketplace", ADMIN)
    assert str(refused.value) == (
        f"active alert rule(s) #{floor} Marketplace floor, #{drop} Marketplace drop still watch "
        "'marketplace'; disable them or change their scope first (Admin › Alert rules)"
    )
    assert not _retired("marketplace")

    set_alert_rule_active(floor, False, ADMIN)
    set_alert_rule_active(drop, False, ADMIN)
    assert retire_channel("marketplace", ADMIN).retired
    with pytest.raises(AnalyticsError, match="touchpoint 'marketplace' is retired"):
        set_alert_rule_active(floor, True, ADMIN)


def test_every_reason_a_channel_cannot_retire_is_listed(pg_url):
    add_category("agents", "Agents", ADMIN)
    add_touchpoint("agent_desk", "Agent desk", "agents", ADMIN)
    category = _watch("category", "agents", "Agents revenue")
    with pytest.raises(AnalyticsError) as refused:
        retire_channel("agents", ADMIN)
    assert str(refused.value) == (
        "category 'agents' still holds touchpoint(s) agent_desk; retire or move them first; "
        f"and active alert rule(s) #{category} Agents revenue still watch 'agents'; disable "
        "them or change their scope first (Admin › Alert rules)"
    )
    web = _watch("touchpoint", "web", "Web floor")
    with pytest.raises(AnalyticsError) as refused:
        retire_channel("web", ADMIN)
    assert str(refused.value).startswith("active channel rule(s) 1 still send orders to 'web'")
    assert str(refused.value).endswith(
        f"and active alert rule(s) #{web} Web floor still watch "
        "'web'; disable them or change their scope first (Admin › Alert rules)"
    )


def test_the_retirement_message_names_the_targets_still_to_come(pg_url):
    add_category("agents", "Agents", ADMIN)
    add_touchpoint("agent_desk", "Agent desk", "agents", ADMIN)
    today = dt.datetime.now(get_settings().tz).date()
    past = today - dt.timedelta(days=400)
    later = today + dt.timedelta(days=90)
    for start, end in ((past, past), (today, today), (today + dt.timedelta(days=1), later)):
        set_target(
            TargetInput("touchpoint", "agent_desk", "revenue", str(start), str(end), "100"), ADMIN
        )
    assert retirement_note("agent_desk") == (
        f"Its targets for today and later (2, the last ending {later}) "
        "stay: delete them on Admin › Targets if they no longer apply."
    )
    result = CliRunner().invoke(app, ["channels", "retire", "agent_desk"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.stdout.split())
    assert "agent_desk (Agent desk) in agents retired." in said
    assert "Its targets for today and later (2," in said
    assert retirement_note("agents") == ""


def test_no_category_chosen_says_so(pg_url):
    for category in ("", None):
        with pytest.raises(AnalyticsError, match="^choose a category$"):
            add_touchpoint("kiosk", "Kiosk", category, ADMIN)
        with pytest.raises(AnalyticsError, match="^choose a category$"):
            move_touchpoint("web", category, ADMIN)
