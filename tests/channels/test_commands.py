"""The taxonomy commands on a loaded demo: a move regroups what holds the old grouping (checked
against the pandas oracle and the touchpoints' own forecasts), a retired channel leaves the
pickers and new rules while its history still counts, a channel in use is never deleted, and
every change is audited by its actor."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from analytics.alerts.rules import create_rule
from analytics.budget.plans import channel_curves
from analytics.channel_move import STEPS
from analytics.channel_move import move_touchpoint
from analytics.errors import AnalyticsError
from analytics.periods import Period
from analytics.rollup import channel_options
from analytics.rollup import rollup_sums
from analytics.taxonomy import add_category
from analytics.taxonomy import add_touchpoint
from analytics.taxonomy import delete_channel
from analytics.taxonomy import list_channels
from analytics.taxonomy import rename_channel
from analytics.taxonomy import restore_channel
from analytics.taxonomy import retire_channel
from dashapp.components.filters import channel_filter_options
from db.engine import get_engine
from db.errors import CommandError
from db.roles import Actor
from db.schema import AuditLog
from forecasting.regroup import REGROUPED
from forecasting.store import read_forecasts
from forecasting.store import write_forecasts
from ingestion.rules import add_rule
from ingestion.rules import list_rules
from ingestion.rules import set_rule_active
from tests.reference import CATEGORY_OF_TOUCHPOINT
from tests.reference import daily_facts

pytestmark = pytest.mark.postgres
ADMIN = Actor("ada", "admin")
QUARTER = Period(dt.date(2026, 4, 1), dt.date(2026, 6, 30))


@pytest.fixture
def demo(pg_url, demo_copy, monkeypatch):
    """A private demo copy (the commands change it), with in-process jobs and cache."""
    monkeypatch.delenv("CHANNELPERF_REDIS_URL", raising=False)
    return demo_copy(pg_url, n_orders=4000, seed=5)


def last_audit(url: str) -> dict:
    table = AuditLog.__table__
    with get_engine(url).connect() as conn:
        return dict(
            conn.execute(select(table).order_by(table.c.id.desc()).limit(1)).mappings().one()
        )


def oracle_by_category(demo, category_of: dict[str, str]) -> pd.DataFrame:
    facts = daily_facts(demo)
    inside = facts[(facts["day"] >= QUARTER.start) & (facts["day"] <= QUARTER.end)]
    grouped = inside.assign(category=inside["touchpoint"].map(category_of).fillna("unassigned"))
    return grouped.groupby("category")[["revenue", "orders"]].sum()


def app_by_category() -> pd.DataFrame:
    return rollup_sums(QUARTER, ("category",)).set_index("category")[["revenue", "orders"]]


def forecast_rows(uid: str, values: list[float]) -> pd.DataFrame:
    days = pd.date_range("2026-07-01", periods=len(values), freq="D")
    return pd.DataFrame(
        {
            "unique_id": uid,
            "ds": days,
            "yhat": values,
            "yhat_lower": [v - 10 for v in values],
            "yhat_upper": [v + 20 for v in values],
            "model": "ets",
        }
    )


def test_a_move_regroups_rollup_reads_cache_and_forecasts(demo, pg_url):
    series = {
        "touchpoint:web:revenue": [100.0, 110.0],
        "touchpoint:mobile_app:revenue": [50.0, 55.0],
        "touchpoint:marketplace:revenue": [30.0, 33.0],
        "touchpoint:b2b_portal:revenue": [400.0, 410.0],
        "category:ecommerce:revenue": [180.0, 198.0],
        "category:wholesale:revenue": [400.0, 410.0],
    }
    with get_engine(pg_url).begin() as conn:
        write_forecasts(conn, pd.concat([forecast_rows(k, v) for k, v in series.items()]))
    before = app_by_category()  # warms the cache the move must make stale
    expected_before = oracle_by_category(demo, CATEGORY_OF_TOUCHPOINT)
    pd.testing.assert_frame_equal(before, expected_before.loc[before.index], check_names=False)

    steps = []
    result = move_touchpoint(
        "marketplace", "wholesale", ADMIN, progress=lambda i, label: steps.append((i, label))
    )

    assert steps == list(enumerate(STEPS))
    assert (result.from_category, result.touchpoint.category) == ("ecommerce", "wholesale")
    assert result.days > 0 and result.forecast_series == 2
    moved = {**CATEGORY_OF_TOUCHPOINT, "marketplace": "wholesale"}
    expected = oracle_by_category(demo, moved)
    after = app_by_category()
    pd.testing.assert_frame_equal(after, expected.loc[after.index], check_names=False)
    assert after.at["wholesale", "revenue"] > before.at["wholesale", "revenue"] + 1
    assert after["revenue"].sum() == pytest.approx(before["revenue"].sum(), abs=0.005)

    regrouped = read_forecasts(prefix="category:").set_index(["unique_id", "ds"])
    wholesale = regrouped.loc["category:wholesale:revenue"]
    assert list(wholesale["yhat"]) == [430.0, 443.0]
    assert list(wholesale["yhat_lower"]) == [410.0, 423.0]
    assert list(wholesale["yhat_upper"]) == [470.0, 483.0]
    assert list(regrouped.loc["category:ecommerce:revenue"]["yhat"]) == [150.0, 165.0]
    assert set(regrouped["model"]) == {REGROUPED}

    entry = last_audit(pg_url)
    assert (entry["actor"], entry["action"], entry["entity_id"]) == (
        "ada",
        "channel.move",
        "marketplace",
    )
    assert (entry["before"]["category"], entry["after"]["category"]) == ("ecommerce", "wholesale")


def test_a_move_is_refused_into_a_retired_or_same_category_and_for_the_fallback(demo):
    add_category("closed_shops", "Closed shops", ADMIN)
    retire_channel("closed_shops", ADMIN)
    for code, category, message in [
        ("marketplace", "closed_shops", "is retired; restore it first"),
        ("marketplace", "ecommerce", "already in 'ecommerce'"),
        ("marketplace", "nowhere", "no category with code 'nowhere'"),
        ("unassigned", "ecommerce", "cannot be moved"),
        ("ecommerce", "wholesale", "no touchpoint with code 'ecommerce'"),
    ]:
        with pytest.raises(AnalyticsError, match=message):
            move_touchpoint(code, category, ADMIN)


def test_retired_leaves_pickers_and_rules_but_its_history_counts(demo, pg_url):
    with pytest.raises(AnalyticsError, match="active channel rule"):
        retire_channel("marketplace", ADMIN)
    for rule in list_rules():
        if rule.touchpoint == "marketplace" and rule.active:
            set_rule_active(rule.id, False, ADMIN)
    info = retire_channel("marketplace", ADMIN)
    assert info.retired
    entry = last_audit(pg_url)
    assert (entry["action"], entry["before"]["retired"], entry["after"]["retired"]) == (
        "channel.retire",
        False,
        True,
    )

    offered = [o["value"] for o in channel_filter_options(channel_options(active_only=True))]
    assert "touchpoint:web" in offered and "touchpoint:marketplace" not in offered
    assert "marketplace" in set(channel_options()["touchpoint"])
    assert "marketplace" not in {c.code for c in list_channels(include_retired=False)}
    with pytest.raises(AnalyticsError, match="touchpoint 'marketplace' is retired"):
        create_rule(
            {
                "name": "marketplace floor",
                "kind": "threshold",
                "metric": "revenue",
                "scope_type": "touchpoint",
                "scope_code": "marketplace",
                "direction": "below",
                "threshold": 10,
            },
            ADMIN,
        )
    with pytest.raises(CommandError, match="'marketplace' is retired"):
        add_rule(5, "shopify", "source_name", "equals", "etsy", "marketplace", ADMIN)
    disabled = next(r for r in list_rules() if r.touchpoint == "marketplace")
    with pytest.raises(CommandError, match="the retired touchpoint 'marketplace'"):
        set_rule_active(disabled.id, True, ADMIN)

    curves, _frame, no_curve = channel_curves()  # the budget split skips it, too
    assert "marketplace" in set(demo.spend["touchpoint_code"])
    assert "marketplace" not in {c.channel for c in curves} and "web" in {c.channel for c in curves}
    assert no_curve["marketplace"].startswith("retired")

    facts = daily_facts(demo)
    inside = facts[(facts["day"] >= QUARTER.start) & (facts["day"] <= QUARTER.end)]
    by_touchpoint = rollup_sums(QUARTER, ("touchpoint",)).set_index("touchpoint")
    assert by_touchpoint.at["marketplace", "revenue"] == pytest.approx(
        inside.loc[inside["touchpoint"] == "marketplace", "revenue"].sum(), abs=0.005
    )
    assert by_touchpoint["revenue"].sum() == pytest.approx(inside["revenue"].sum(), abs=0.005)

    with pytest.raises(AnalyticsError, match="still holds touchpoint"):
        retire_channel("ecommerce", ADMIN)
    restore_channel("marketplace", ADMIN)
    assert last_audit(pg_url)["action"] == "channel.restore"
    offered = [o["value"] for o in channel_filter_options(channel_options(active_only=True))]
    assert "touchpoint:marketplace" in offered


def test_rename_add_and_delete_are_audited_and_a_used_channel_is_never_deleted(demo, pg_url):
    names = rollup_sums(QUARTER, ("touchpoint",)).set_index("touchpoint")["touchpoint_name"]
    assert names["marketplace"] == "Marketplace"  # and cached, until the rename renews it
    rename_channel("marketplace", "Marketplaces", ADMIN)
    entry = last_audit(pg_url)
    assert (entry["action"], entry["before"]["name"], entry["after"]["name"]) == (
        "channel.rename",
        "Marketplace",
        "Marketplaces",
    )
    names = rollup_sums(QUARTER, ("touchpoint",)).set_index("touchpoint")["touchpoint_name"]
    assert names["marketplace"] == "Marketplaces"
    with pytest.raises(AnalyticsError, match="already named 'Web'"):
        rename_channel("marketplace", "web", ADMIN)

    with pytest.raises(AnalyticsError, match=r"'marketplace' is in use \(.*orders.*"):
        delete_channel("marketplace", ADMIN)
    with pytest.raises(AnalyticsError, match="'ecommerce' is in use .*touchpoints"):
        delete_channel("ecommerce", ADMIN)
    assert {"marketplace", "ecommerce"} <= {c.code for c in list_channels()}

    add_category("pop_up", "Pop-up", ADMIN)
    assert last_audit(pg_url)["action"] == "channel.add_category"
    add_touchpoint("fair_stand", "Fair stand", "pop_up", ADMIN, conversion_basis="footfall")
    entry = last_audit(pg_url)
    assert (entry["action"], entry["actor"], entry["after"]["conversion_basis"]) == (
        "channel.add_touchpoint",
        "ada",
        "footfall",
    )
    delete_channel("fair_stand", ADMIN)
    entry = last_audit(pg_url)
    assert (entry["action"], entry["before"]["code"], entry["after"]) == (
        "channel.delete",
        "fair_stand",
        None,
    )
    delete_channel("pop_up", ADMIN)
    assert {"fair_stand", "pop_up"}.isdisjoint(c.code for c in list_channels())
