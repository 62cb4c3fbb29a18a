"""Page data of Attribution, Pricing and Budget, and the executives' decision list, on the demo
data; alert decisions on a fresh database."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pytest
from sqlalchemy import insert

from analytics.attribution.journeys import load_journeys
from analytics.budget.whatif import project_split
from analytics.decisions import MAX_DECISIONS
from analytics.decisions import alert_decisions
from analytics.decisions import build_decisions
from analytics.errors import AnalyticsError
from analytics.periods import Period
from analytics.rollup import Filters
from analytics.rollup import channel_options
from analytics.views.attribution import attribution_slice
from analytics.views.attribution import build_attribution
from analytics.views.budget import CURVE_POINTS
from analytics.views.budget import build_budget
from analytics.views.budget import build_whatif
from analytics.views.pricing import build_pricing
from db.alert_tables import Alert
from db.alert_tables import AlertRule
from db.engine import get_engine

END = dt.date(2026, 6, 30)
QUARTER = Period(dt.date(2026, 4, 1), END)
YEAR = Period(dt.date(2025, 7, 1), END)


@pytest.fixture(scope="module")
def views(demo_db):
    url = demo_db.url
    return {
        "attribution": build_attribution(QUARTER, url=url),
        "pricing": build_pricing(YEAR, url=url),
        "budget": build_budget(url=url),
        "decisions": build_decisions(END, role="planner", url=url),
    }


def test_attribution_view_compares_every_model_with_last_touch(views, demo_db):
    view = views["attribution"]
    journeys = load_journeys(QUARTER, 30, demo_db.url)
    paths = journeys.paths
    last_channels = Counter(
        paths.channels[paths.steps[end - 1]]
        for end, conv in zip(paths.offsets[1:], paths.conversions, strict=True)
        if conv > 0
    )
    comparison = view.comparison
    assert set(comparison["model"]) == set(view.model_labels)
    last = comparison[comparison["model"] == "last"].set_index("channel")["conversions"]
    assert last.to_dict() == pytest.approx({c: float(n) for c, n in last_channels.items()})
    for _, rows in comparison.groupby("model"):
        assert rows["conversions"].sum() == pytest.approx(journeys.converted)
        assert rows["conversions_difference"].to_numpy() == pytest.approx(
            (rows["conversions"] - rows["last_touch_conversions"]).to_numpy()
        )
    assert view.coverage == journeys.converted / journeys.orders
    assert view.paths["journeys"].is_monotonic_decreasing
    assert not view.message


def test_attribution_slices_sum_touchpoints_into_categories_and_keep_filtered_channels(
    views, demo_db
):
    view = views["attribution"]
    taxonomy = channel_options(demo_db.url).set_index("touchpoint_name")
    by_category = (
        view.comparison.assign(category=view.comparison["channel"].map(taxonomy["category"]))
        .groupby(["model", "category"])[["conversions", "value", "value_difference"]]
        .sum()
    )
    top = attribution_slice(view, "category", Filters(), demo_db.url)
    assert top.total_conversions == pytest.approx(view.comparison.query("model == 'last'")[
        "conversions"].sum())  # fmt: skip
    for row in top.comparison.itertuples():
        expected = by_category.loc[(row.model, row.channel)]
        assert (row.conversions, row.value, row.value_difference) == pytest.approx(tuple(expected))
        assert row.model_label == view.model_labels[row.model]

    narrowed = attribution_slice(
        view, "touchpoint", Filters(categories=("ecommerce",)), demo_db.url
    )
    names = set(taxonomy.index[taxonomy["category"] == "ecommerce"])
    assert set(narrowed.comparison["channel_name"]) <= names
    kept = view.comparison[view.comparison["channel"].isin(names)]
    assert narrowed.comparison["conversions"].sum() == pytest.approx(kept["conversions"].sum())
    assert len(narrowed.paths) and all(names & set(p.split(" > ")) for p in narrowed.paths["path"])
    with pytest.raises(AnalyticsError, match="category or touchpoint"):
        attribution_slice(view, "region", Filters(), demo_db.url)


def test_attribution_view_without_touches_says_why(demo_db):
    view = build_attribution(Period(dt.date(2020, 1, 1), dt.date(2020, 1, 31)), url=demo_db.url)
    assert "no touches" in view.message and view.comparison.empty


def test_pricing_view_effects_follow_the_constant_elasticity_demand(views):
    channels = views["pricing"].channels
    assert channels["actionable"].any()
    for row in channels[channels["actionable"]].itertuples():
        assert row.margin_change > 0 and not row.warning
        assert row.change_low <= row.price_change <= row.change_high
        ratio = 1 + row.price_change
        units = row.units_change / (ratio**row.elasticity - 1)
        margin_after = (row.price * ratio - row.unit_cost) * units * ratio**row.elasticity
        assert row.margin_change == pytest.approx(
            margin_after - (row.price - row.unit_cost) * units
        )
    assert (channels.loc[~channels["actionable"], "warning"].str.len() > 0).all()


def test_pricing_view_narrows_channels_but_not_categories(views, demo_db):
    web = build_pricing(YEAR, url=demo_db.url, filters=Filters(touchpoints=("web",)))
    assert list(web.channels["channel"]) == ["web"]
    every = views["pricing"].channels.set_index("channel")
    assert web.channels.iloc[0]["margin_change"] == pytest.approx(every.at["web", "margin_change"])
    assert web.categories.equals(views["pricing"].categories)


def test_pricing_view_refuses_a_bad_volume_floor(demo_db):
    with pytest.raises(AnalyticsError, match="volume floor"):
        build_pricing(YEAR, volume_floor=1.5, url=demo_db.url)


def test_budget_view_splits_the_current_spend_and_projects_it(views):
    view = views["budget"]
    allocation = view.proposal.allocation
    assert view.split["proposed"].sum() == pytest.approx(allocation.current.sum())
    assert view.uplift == (allocation.uplift, allocation.uplift_low, allocation.uplift_high)
    curves = list(view.proposal.curves)
    now = project_split(curves, dict(zip(allocation.channels, allocation.current, strict=True)), 28)
    assert now["revenue"].to_numpy() == pytest.approx(view.split["revenue_current"].to_numpy())
    spent = now["spend"] >= 1.0  # under one currency unit a ROAS is not shown
    assert now["roas"].to_numpy() == pytest.approx(
        (now["revenue"] / now["spend"]).where(spent).to_numpy(), nan_ok=True
    )
    assert (view.curves.groupby("channel").size() == CURVE_POINTS).all()
    assert (view.curves["revenue_low"] <= view.curves["revenue_high"]).all()


def test_what_if_projects_the_planners_split_and_refuses_one_outside_the_bounds(views, demo_db):
    allocation = views["budget"].proposal.allocation
    split = dict(zip(allocation.channels, allocation.proposed, strict=True))
    whatif = build_whatif(split, url=demo_db.url)
    assert whatif.allocation.uplift == pytest.approx(allocation.uplift)
    assert whatif.totals["revenue"] == pytest.approx(allocation.revenue_proposed.sum())
    assert whatif.current["revenue"] == pytest.approx(allocation.revenue_current.sum())
    assert whatif.totals["roas"] == pytest.approx(
        allocation.revenue_proposed.sum() / allocation.proposed.sum()
    )
    first = max(split, key=split.get)  # a channel the plan gives money
    with pytest.raises(AnalyticsError, match="breaks its maximum"):
        build_whatif(split, maximum={first: split[first] / 2}, url=demo_db.url)
    with pytest.raises(AnalyticsError, match="gives no amount"):
        build_whatif({first: 1.0}, url=demo_db.url)


def test_what_if_shows_no_roas_for_a_spend_under_one_currency_unit(views):
    curves = list(views["budget"].proposal.curves)
    cents = project_split(curves, {curves[0].channel: 0.4, curves[1].channel: 1.0}, 28)
    assert np.isnan(cents["roas"].iloc[0]) and cents["revenue"].iloc[0] > 0
    assert cents["roas"].iloc[1] == pytest.approx(cents["revenue"].iloc[1] / 1.0)
    assert np.isnan(cents["roas"].iloc[2:]).all()  # no spend at all


def test_what_if_refuses_unknown_channels_and_negative_amounts(views):
    curves = list(views["budget"].proposal.curves)
    with pytest.raises(AnalyticsError, match="no spend-response curve for channel 'radio'"):
        project_split(curves, {"radio": 10.0}, 28)
    with pytest.raises(AnalyticsError, match="non-negative"):
        project_split(curves, {curves[0].channel: -1.0}, 28)


def test_decision_list_ranks_supported_actions_by_money(views):
    decisions = views["decisions"]
    effects = [d.effect for d in decisions.decisions]
    assert 1 <= len(effects) <= MAX_DECISIONS
    assert effects == sorted(effects, reverse=True) and min(effects) > 0
    pages = {"budget": "/budget", "price": "/pricing", "stock": "/inventory", "alert": "/alerts"}
    assert all(d.page == pages[d.kind] for d in decisions.decisions)
    pricing = views["pricing"].channels.set_index("channel_name")
    for decision in decisions.decisions:
        if decision.kind == "price":
            name = decision.title.removeprefix("Revisit prices on ").split(":")[0]
            assert decision.effect == pytest.approx(pricing.at[name, "margin_change"])
    # Every channel without a price recommendation says why.
    for name, row in pricing.iterrows():
        if not row["actionable"]:
            assert decisions.not_recommended[f"price · {name}"]
    if not any(d.kind == "budget" for d in decisions.decisions):
        assert "budget" in decisions.not_recommended


def test_alert_decisions_weigh_money_gaps_only_and_name_what_the_role_may_read(pg_url):
    now = dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)
    rule = AlertRule.__table__
    with get_engine(pg_url).begin() as conn:
        ids = {}
        for metric in ("revenue", "conversion_rate", "spend"):
            ids[metric] = conn.execute(
                insert(rule)
                .values(name=f"{metric} drop", metric=metric, kind="threshold",
                        created_by="t", updated_by="t")
                .returning(rule.c.id)
            ).scalar_one()  # fmt: skip
        for metric, observed, expected, state in (
            ("revenue", 8000, 11000, "open"),
            ("conversion_rate", 0.01, 0.02, "open"),
            ("revenue", 100, 90000, "resolved"),
            ("spend", 900, 400, "open"),
        ):
            conn.execute(
                insert(Alert.__table__).values(
                    rule_id=ids[metric], grain="day", period_start=now.date(),
                    period_end=now.date() if state == "open" else dt.date(2026, 6, 1),
                    observed=observed, expected=expected, direction="below",
                    message=f"{metric} below expected", rule_snapshot={}, state=state,
                    fired_at=now, due_at=now, updated_at=now,
                )
            )  # fmt: skip
    why_not: dict[str, str] = {}
    (decision,) = alert_decisions(pg_url, why_not, "executive")  # spend is not theirs to read
    assert decision.effect == pytest.approx(3000) and decision.page == "/alerts"
    assert decision.effect_note == "below normal on 30 Jun 2026"  # a gap, not a gain
    assert "revenue below expected" in decision.title
    assert list(why_not.values()) == ["its gap is not an amount of money"]
    assert np.isfinite(decision.effect)
    why_not = {}
    revenue, spend = sorted(alert_decisions(pg_url, why_not, "planner"), key=lambda d: d.title)
    assert "spend below expected" in spend.title and spend.effect == pytest.approx(500)
    assert revenue == decision and len(why_not) == 1
