"""Budget plans on the demo data: proposed from fitted curves, applied as audited versions by
planners only, refused whole when anything is wrong (PostgreSQL and SQLite)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from analytics.budget.plans import active_plan
from analytics.budget.plans import apply_budget_plan
from analytics.budget.plans import plan_versions
from analytics.budget.plans import propose_budget
from analytics.budget.plans import to_cents
from analytics.errors import AnalyticsError
from analytics.views.budget import build_whatif
from db.budget_tables import BudgetPlan
from db.engine import get_engine
from db.roles import Actor
from db.roles import PermissionDenied
from db.schema import AuditLog


def counts(url):
    with get_engine(url).connect() as conn:
        plans = conn.execute(select(func.count()).select_from(BudgetPlan.__table__)).scalar()
        entries = conn.execute(select(func.count()).select_from(AuditLog.__table__)).scalar()
    return plans, entries


@pytest.fixture(scope="module")
def proposal(demo_db):
    return propose_budget(100_000.0, "margin", url=demo_db.url)


MOST_SPENT_SQL = """
WITH daily AS (
    SELECT s.day, sum(s.spend_base) AS spend FROM marketing_spend s
    JOIN touchpoint t ON t.id = s.touchpoint_id
    WHERE t.code = ANY(:channels)
      AND s.day > (SELECT max(day) FROM marketing_spend) - 365
    GROUP BY s.day
)
SELECT max(total) FROM (
    SELECT sum(spend) OVER (ORDER BY day RANGE BETWEEN INTERVAL '27 days' PRECEDING
                            AND CURRENT ROW) AS total
    FROM daily
) windows
"""


def test_a_total_far_beyond_the_spend_history_is_flagged(proposal, demo_db):
    """The curves only saw what the channels spent: a total far beyond it (a typo's extra
    zeros) gets its split with a warning, not a confident answer."""
    with get_engine(demo_db.url).connect() as conn:
        most = conn.execute(
            text(MOST_SPENT_SQL), {"channels": list(proposal.allocation.channels)}
        ).scalar()
    assert proposal.most_spent == pytest.approx(float(most), rel=1e-9)
    assert not propose_budget(None, url=demo_db.url).beyond_history
    assert not propose_budget(1.5 * float(most), url=demo_db.url).beyond_history
    assert propose_budget(10 * float(most), url=demo_db.url).beyond_history
    # A planner's what-if split is held to the same history as the optimised one.
    channels = proposal.allocation.channels
    within = {c: 1.5 * float(most) / len(channels) for c in channels}
    assert not build_whatif(within, url=demo_db.url).beyond_history
    far = build_whatif({c: 10 * float(most) / len(channels) for c in channels}, url=demo_db.url)
    assert far.beyond_history
    assert far.most_spent == pytest.approx(float(most), rel=1e-9)


RANGES_SQL = """
WITH days AS (
    SELECT d::date AS day
    FROM generate_series((SELECT max(day) FROM marketing_spend) - 364,
                         (SELECT max(day) FROM marketing_spend), interval '1 day') AS d
), daily AS (
    SELECT t.code, days.day, coalesce(sum(s.spend_base), 0) AS spend
    FROM days CROSS JOIN touchpoint t
    LEFT JOIN marketing_spend s ON s.day = days.day AND s.touchpoint_id = t.id
    WHERE t.code = ANY(:channels)
    GROUP BY t.code, days.day
), windows AS (
    SELECT code,
           sum(spend) OVER (PARTITION BY code ORDER BY day ROWS 27 PRECEDING) AS total,
           count(*) OVER (PARTITION BY code ORDER BY day ROWS 27 PRECEDING) AS days
    FROM daily
)
SELECT code, min(total), max(total) FROM windows WHERE days = 28 GROUP BY code
"""


def test_each_channel_has_the_range_of_spend_its_curve_was_fitted_on(proposal, demo_db):
    """The least and most each channel spent over any 28 days of the year its curve was
    fitted on: the what-if and the proposal judge their amounts against the same ranges."""
    channels = list(proposal.allocation.channels)
    with get_engine(demo_db.url).connect() as conn:
        expected = conn.execute(text(RANGES_SQL), {"channels": channels}).all()
    assert set(proposal.spend_ranges) == set(channels)
    for code, least, most in expected:
        assert proposal.spend_ranges[code].least == pytest.approx(float(least), abs=1e-6)
        assert proposal.spend_ranges[code].most == pytest.approx(float(most), abs=1e-6)
    whatif = build_whatif(dict.fromkeys(channels, 100.0), url=demo_db.url)
    assert whatif.spend_ranges == proposal.spend_ranges
    assert whatif.names == proposal.names


def test_the_proposal_splits_the_total_over_channels_with_spend(proposal, demo_db):
    allocation = proposal.allocation
    spenders = set(demo_db.spend.loc[demo_db.spend["spend_minor"] > 0, "touchpoint_code"])
    assert set(allocation.channels) | set(proposal.no_curve) == spenders
    assert allocation.proposed.sum() == pytest.approx(100_000.0)
    assert allocation.uplift >= -1e-6
    assert allocation.uplift_low <= allocation.uplift_high


@pytest.mark.parametrize("database", ["pg_url", "sqlite_url"])
def test_applying_writes_a_new_version_and_its_audit_entry(proposal, database, request):
    url = request.getfixturevalue(database)
    allocation = proposal.allocation
    assert apply_budget_plan(allocation, Actor("pat", "planner"), url) == 1
    assert apply_budget_plan(allocation, Actor("ann", "admin"), url) == 2
    lines = active_plan(url)
    assert set(lines["version"]) == {2}
    assert sum(lines["amount"]) == pytest.approx(100_000.0, abs=0.001)
    with get_engine(url).connect() as conn:
        statuses = dict(conn.execute(select(BudgetPlan.version, BudgetPlan.status)).all())
        entry = conn.execute(
            select(AuditLog.actor, AuditLog.action, AuditLog.before, AuditLog.after).order_by(
                AuditLog.id.desc()
            )
        ).first()
    assert statuses == {1: "superseded", 2: "active"}
    assert entry.actor == "ann" and entry.action == "budget.apply"
    assert entry.before["version"] == 1 and entry.after["version"] == 2
    versions = plan_versions(url)
    assert list(versions["version"]) == [2, 1] and list(versions["status"]) == [
        "active",
        "superseded",
    ]
    assert list(versions["created_by"]) == ["ann", "pat"]
    assert float(versions["total"].iloc[0]) == pytest.approx(100_000.0)


def negative_first(proposed: np.ndarray) -> np.ndarray:
    """The same total with the first channel's amount negative."""
    out = proposed.copy()
    out[1] += out[0] + 10
    out[0] = -10
    return out


@pytest.mark.parametrize(
    ("change", "role", "message"),
    [
        (lambda a: {}, "executive", "executive role may not apply budget plans"),
        (lambda a: {"proposed": a.proposed * 1.1}, "planner", "add up to"),
        (lambda a: {"proposed": negative_first(a.proposed)}, "planner", "non-negative"),
        (
            lambda a: {"channels": ("nowhere", *a.channels[1:])},
            "planner",
            "unknown channel 'nowhere'",
        ),
        (lambda a: {"channels": (a.channels[1], *a.channels[1:])}, "planner", "appears twice"),
        (lambda a: {"objective": "growth"}, "planner", "unknown objective"),
    ],
)
def test_a_refused_plan_writes_nothing(proposal, sqlite_url, change, role, message):
    bad = dataclasses.replace(proposal.allocation, **change(proposal.allocation))
    before = counts(sqlite_url)
    with pytest.raises((AnalyticsError, PermissionDenied), match=message):
        apply_budget_plan(bad, Actor("someone", role), sqlite_url)
    assert counts(sqlite_url) == before


def test_cents_add_up_to_the_total():
    amounts = to_cents(np.array([33.333333, 33.333333, 33.333334]), 100.0)
    assert sum(amounts) == 100 and all(a.as_tuple().exponent >= -2 for a in amounts)
