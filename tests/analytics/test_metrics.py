"""Every metric against an independent pandas computation on generated data, for several slices."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics.errors import AnalyticsError
from analytics.metrics import METRICS
from analytics.metrics import format_change
from analytics.metrics import format_value
from analytics.metrics import get_metric
from analytics.metrics import signed_text
from analytics.periods import Period
from analytics.rollup import Filters
from analytics.rollup import rollup_sums
from tests.reference import daily_facts

pytestmark = pytest.mark.postgres

SUMS = [
    "gross_revenue",
    "refunds",
    "cost",
    "orders",
    "units",
    "new_customers",
    "visits",
    "conversions",
    "spend",
    "revenue",
    "gross_profit",
]


@pytest.fixture(scope="module")
def facts(demo_db):
    return daily_facts(demo_db)


def expected_metrics(facts: pd.DataFrame, period: Period, **where) -> dict[str, float | None]:
    chosen = facts[(facts["day"] >= period.start) & (facts["day"] <= period.end)]
    for column, values in where.items():
        chosen = chosen[chosen[column].isin(values)]
    total = chosen[SUMS].sum()
    ratio = lambda n, d: None if total[d] == 0 else total[n] / total[d]  # noqa: E731
    return {
        "revenue": total["revenue"],
        "orders": total["orders"],
        "units": total["units"],
        "aov": ratio("revenue", "orders"),
        "conversion_rate": ratio("conversions", "visits"),
        "cac": ratio("spend", "new_customers"),
        "margin_pct": ratio("gross_profit", "revenue"),
        "roas": ratio("revenue", "spend"),
        "spend": total["spend"],
        "new_customers": total["new_customers"],
        "refunds": total["refunds"],
    }


SLICES = [
    ("all of Q1 2026", Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31)), {}, {}),
    (
        "e-commerce, a leap-year February",
        Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
        {"categories": ("ecommerce",)},
        {"channel": ["ecommerce"]},
    ),
    (
        "stores in one region over a year",
        Period(dt.date(2025, 1, 1), dt.date(2025, 12, 31)),
        {"touchpoints": ("physical_store",), "regions": ("uk",)},
        {"touchpoint": ["physical_store"], "region": ["uk"]},
    ),
    (
        "B2B portal and sales reps for 10 days across a month end",
        Period(dt.date(2025, 5, 26), dt.date(2025, 6, 4)),
        {"touchpoints": ("b2b_portal", "sales_rep")},
        {"touchpoint": ["b2b_portal", "sales_rep"]},
    ),
    (
        "one store for a quarter",
        Period(dt.date(2025, 10, 1), dt.date(2025, 12, 31)),
        {"locations": ("chi-mag",)},
        {"location": ["chi-mag"]},
    ),
]


@pytest.mark.parametrize("name, period, filters, where", SLICES, ids=[s[0] for s in SLICES])
def test_every_metric_matches_pandas(demo, facts, name, period, filters, where):
    sums = rollup_sums(period, (), Filters(**filters)).iloc[0]
    expected = expected_metrics(facts, period, **where)
    assert expected["orders"] > 0, f"slice {name} is empty: pick another"
    for metric_name, metric in METRICS.items():
        value = metric.value(sums)
        want = expected[metric_name]
        if want is None:
            assert value is None, metric_name
        else:
            assert value == pytest.approx(want, rel=1e-9, abs=1e-6), metric_name


def test_grouped_sums_match_pandas_per_touchpoint(demo, facts):
    period = Period(dt.date(2025, 7, 1), dt.date(2025, 9, 30))
    got = rollup_sums(period, ("touchpoint",)).set_index("touchpoint")
    chosen = facts[(facts["day"] >= period.start) & (facts["day"] <= period.end)]
    want = chosen.groupby("touchpoint")[SUMS].sum()
    want = want[(want != 0).any(axis=1)]
    assert set(got.index) == set(want.index)
    for column in SUMS:
        assert got[column].to_numpy() == pytest.approx(want.loc[got.index, column].to_numpy())


def test_ratios_are_sum_over_sum_not_averages_of_daily_ratios(demo, facts):
    period = Period(dt.date(2025, 11, 1), dt.date(2025, 12, 31))
    daily = rollup_sums(period, ("day",), Filters(touchpoints=("web",)))
    conversion = get_metric("conversion_rate")
    aov = get_metric("aov")
    whole = rollup_sums(period, (), Filters(touchpoints=("web",))).iloc[0]
    mean_of_daily = conversion.value(daily).mean()
    assert conversion.value(whole) == pytest.approx(
        daily["conversions"].sum() / daily["visits"].sum()
    )
    assert abs(conversion.value(whole) - mean_of_daily) > 1e-5
    assert abs(aov.value(whole) - aov.value(daily).mean()) > 0.01
    web = facts[(facts["touchpoint"] == "web") & facts["day"].between(period.start, period.end)]
    assert conversion.value(whole) == pytest.approx(web["conversions"].sum() / web["visits"].sum())


def test_unknown_metric_names_the_known_ones():
    with pytest.raises(AnalyticsError, match="known metrics: revenue"):
        get_metric("profit")


def test_formats_carry_units():
    assert format_value(1_234_567, "currency") == "$1.2M"
    assert format_value(-850, "currency", "EUR") == "−€850"
    assert format_value(0.0423, "percent") == "4.2%"
    assert format_value(3.456, "ratio") == "3.46×"
    assert format_value(None, "currency") == "—"
    assert format_value(float("nan"), "percent") == "—"
    assert format_change(-0.042) == "−4.2%"
    assert format_change(0.1) == "+10.0%"
    assert format_change(-0.0004) == format_change(0.0) == "±0.0%"
    assert format_change(-0.00051) == "−0.1%"
    assert signed_text(-0.04, " pp") == "±0.0 pp"
    assert signed_text(1.26, " pp") == "+1.3 pp"
    assert np.isnan(get_metric("aov").value(pd.DataFrame({"revenue": [5.0], "orders": [0]}))[0])
