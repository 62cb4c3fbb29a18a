"""The Overview's decision list as each role gets it: links only to pages the role may open,
the role that can act named otherwise, no amount of spend for roles that may not read spend."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.decisions import Decision
from analytics.decisions import DecisionList
from dashapp.app import create_app
from dashapp.components.decision_list import decision_list

DECISIONS = DecisionList(
    (
        Decision(
            "budget",
            "Move 4,000 of marketing budget from Web to Email",
            900.0,
            "high",
            "/budget",
            "margin +900",
            spend_free_title="Move marketing budget from Web to Email",
        ),
        Decision("price", "Revisit prices on Web: +5%", 500.0, "medium", "/pricing", "e −1.2"),
        Decision(
            "alert",
            "Investigate alert 7",
            300.0,
            "medium",
            "/alerts",
            "revenue gap",
            effect_note="above normal on 29 Jun 2026",
        ),
    ),  # fmt: skip
    28,
    {"price · Marketplace": "the 95 % interval includes zero"},
)


def by_id(component, wanted: str):
    """The component with id ``wanted`` in a Dash component tree (None when absent)."""
    if getattr(component, "id", None) == wanted:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if child is not None and not isinstance(child, str):
            found = by_id(child, wanted)
            if found is not None:
                return found
    return None


@pytest.fixture(scope="module")
def registered_pages():
    create_app()  # registers the pages the list may link to


@pytest.mark.parametrize(
    ("role", "linked", "titles"),
    [
        ("executive", {3: "/alerts"}, ["Move marketing budget from Web to Email"]),
        ("planner", {1: "/budget", 2: "/pricing", 3: "/alerts"}, [DECISIONS.decisions[0].title]),
        ("admin", {1: "/budget", 2: "/pricing", 3: "/alerts"}, [DECISIONS.decisions[0].title]),
    ],
)
def test_links_and_titles_follow_the_viewers_role(registered_pages, role, linked, titles):
    card = decision_list(DECISIONS, dt.date(2026, 6, 30), role, "USD", "overview")
    assert by_id(card, "overview-decision-1-title").children == titles[0]
    for rank in (1, 2, 3):
        link = by_id(card, f"overview-decision-{rank}-link")
        who = by_id(card, f"overview-decision-{rank}-who")
        if rank in linked:
            assert link.href == linked[rank] and who is None
        else:
            assert link is None and "A planner (or a role above)" in who.children
    effect = by_id(card, "overview-decision-2-effect")
    assert effect.children == "+$500 expected in 28 days"
    spike = by_id(card, "overview-decision-3-effect")  # a spike is no gain to expect
    assert spike.children == "$300 above normal on 29 Jun 2026"
    why_not = by_id(card, "overview-why-not")
    assert why_not.children[1].children[0].children == (
        "price · Marketplace: the 95 % interval includes zero"
    )
