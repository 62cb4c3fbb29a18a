"""The metrics API over HTTP (Flask test client) against the America/New_York data set.

Figures are checked against ``tests.reference`` (pandas on the generator's
frames); access control and parameter errors against the documented answers.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text

from analytics.metrics import METRICS
from db.engine import get_engine
from db.rollup_tables import DailyRollup
from db.schema import AppUser
from db.schema import SalesOrder
from tests import reference
from tests.api.conftest import REPORTING_TZ
from tests.api.conftest import bearer

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def facts(api_db):
    return reference.daily_facts(api_db.demo, REPORTING_TZ)


def close(got, want) -> bool:
    if want is None or (isinstance(want, float) and math.isnan(want)):
        return got is None
    return got is not None and math.isclose(got, want, rel_tol=1e-9, abs_tol=0.006)


def assert_agrees(payload: dict, expected: dict, compare: list[str]) -> int:
    """Every API row equals the reference; every reference row with data is in the API."""
    seen = set()
    for row in payload["rows"]:
        bucket = row["start"] if payload["grain"] else ""
        key = (row["key"], bucket)
        seen.add(key)
        want = expected.get(key)
        assert want is not None or row["value"] in (0, None), row
        want = want or {"value": row["value"], **{c: row[c]["value"] for c in compare}}
        assert close(row["value"], want["value"]), (key, row["value"], want["value"])
        for name in compare:
            assert close(row[name]["value"], want[name]), (key, name, row[name], want[name])
            if row["value"] is not None and row[name]["value"] is not None:
                assert math.isclose(
                    row[name]["change"], row["value"] - row[name]["value"], abs_tol=0.011
                )
    for key, want in expected.items():
        if any(v not in (None, 0) for v in want.values()):
            assert key in seen, key
    return len(seen)


CASES = [
    # (metric, by, start, end, compare, filters, grain, fiscal start month)
    ("revenue", "channel", "2024-01-01", "2024-03-31", ["prior", "yoy"], {}, None, 1),
    # A Wednesday-to-Tuesday range: clipped ISO weeks at both ends, 29 February inside.
    ("aov", "week", "2024-02-21", "2024-03-12", ["prior", "yoy"], {}, None, 1),
    # Days around the leap day; yoy maps 29 Feb 2024 to 28 Feb 2023.
    (
        "conversion_rate",
        "day",
        "2024-02-26",
        "2024-03-03",
        ["prior", "yoy"],
        {"touchpoint": ["web", "b2b_portal"]},
        None,
        1,
    ),
    # Fiscal quarters starting in April: Q3 FY2024 (Oct–Dec 2023) clipped, then whole quarters.
    ("margin_pct", "quarter", "2023-10-15", "2024-09-30", ["prior"], {}, None, 4),
    # A February fiscal year moves the quarter boundaries themselves (Feb–Apr, May–Jul, …).
    ("revenue", "quarter", "2023-12-10", "2025-01-20", ["prior", "yoy"], {}, None, 2),
    (
        "revenue",
        "region",
        "2025-03-01",
        "2025-03-31",
        ["prior", "yoy"],
        {"channel": ["ecommerce"]},
        None,
        1,
    ),
    ("orders", "touchpoint", "2025-01-10", "2025-04-20", ["yoy"], {}, "month", 1),
    ("revenue", "location", "2025-11-01", "2025-11-30", ["prior"], {"region": ["us"]}, None, 1),
    ("units", "month", "2024-12-15", "2025-02-14", [], {}, None, 1),
    # A whole quarter by month: April, May, June against January, February, March.
    ("revenue", "month", "2025-04-01", "2025-06-30", ["prior", "yoy"], {}, None, 1),
    # 37 days by week and by month: each bucket meets a range as long (whole weeks back), not
    # the prior period's bucket of the same rank (two days of November against a whole week).
    ("revenue", "week", "2024-12-16", "2025-01-21", ["prior"], {}, None, 1),
    ("orders", "month", "2024-12-15", "2025-01-20", ["prior", "yoy"], {}, None, 1),
    # A whole quarter by week; a whole February against the whole leap February.
    ("revenue", "week", "2025-04-01", "2025-06-30", ["prior"], {}, None, 1),
    ("revenue", "channel", "2025-02-01", "2025-02-28", ["prior", "yoy"], {}, None, 1),
    ("revenue", "day", "2025-03-01", "2025-03-31", ["prior"], {}, None, 1),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_api_figures_agree_with_pandas(api, api_db, use_database, facts, case):
    metric, by, start, end, compare, filters, grain, fsm = case
    use_database(api_db.url, reporting_tz=REPORTING_TZ, fiscal_year_start_month=str(fsm))
    query = {"metric": metric, "by": by, "start": start, "end": end, "compare": compare, **filters}
    if grain:
        query["grain"] = grain
    response = api.get("/api/v1/metrics", query_string=query, headers=bearer(api_db, "exec-api"))
    assert response.status_code == 200, response.get_json()
    payload = response.get_json()
    assert payload["metric"] == metric and payload["fiscal_year_start_month"] == fsm
    assert set(payload["comparisons"]) == set(compare)
    columns = {"channel": "channel", "touchpoint": "touchpoint", "region": "region"}
    expected = reference.expected_rows(
        facts,
        metric,
        by,
        dt.date.fromisoformat(start),
        dt.date.fromisoformat(end),
        compare,
        {columns[k]: v for k, v in filters.items()},
        grain,
        fsm,
    )
    assert assert_agrees(payload, expected, compare) > 0


def test_fiscal_quarter_labels_follow_the_setting(api, api_db, use_database):
    use_database(api_db.url, reporting_tz=REPORTING_TZ, fiscal_year_start_month="4")
    query = {"metric": "revenue", "by": "quarter", "start": "2024-01-01", "end": "2024-06-30"}
    payload = api.get("/api/v1/metrics", query_string=query, headers=bearer(api_db, "exec-api"))
    rows = payload.get_json()["rows"]
    assert [(r["bucket"], r["start"], r["end"]) for r in rows] == [
        ("Q4 FY2024", "2024-01-01", "2024-03-31"),
        ("Q1 FY2025", "2024-04-01", "2024-06-30"),
    ]


def test_refunds_crossing_the_period_boundary_count_on_their_day(api, api_db, facts):
    start, end = dt.date(2025, 3, 1), dt.date(2025, 3, 31)
    orders = api_db.demo.orders
    refunds = api_db.demo.refunds.merge(
        orders, on=["source_system", "source_instance", "source_order_id"]
    )
    refund_day = refunds["refunded_at"].dt.tz_convert(REPORTING_TZ).dt.date
    order_day = refunds["ordered_at"].dt.tz_convert(REPORTING_TZ).dt.date
    crossing = refunds[(refund_day >= start) & (refund_day <= end) & (order_day < start)]
    assert len(crossing) > 0, "the data set needs a refund of an earlier order in the period"
    query = {"metric": "refunds", "by": "month", "start": str(start), "end": str(end)}
    response = api.get("/api/v1/metrics", query_string=query, headers=bearer(api_db, "exec-api"))
    got = response.get_json()["rows"][0]["value"]
    inside = facts[(facts["day"] >= start) & (facts["day"] <= end)]
    assert got == pytest.approx(inside["refunds"].sum(), abs=0.005)
    assert got >= (crossing["amount_minor"] * crossing["fx_rate"]).round().sum() / 100 - 0.005


def test_the_reporting_time_zone_decides_the_day(api, api_db):
    """On a day whose New York count differs from its UTC count, the API gives New York's."""
    live = api_db.demo.orders[api_db.demo.orders["status"] != "cancelled"]
    local = live["ordered_at"].dt.tz_convert(REPORTING_TZ).dt.date.value_counts()
    utc = live["ordered_at"].dt.date.value_counts()
    differs = [d for d in local.index if d.year == 2025 and local[d] != utc.get(d, 0)]
    day = min(differs)
    query = {"metric": "orders", "by": "day", "start": str(day), "end": str(day)}
    response = api.get("/api/v1/metrics", query_string=query, headers=bearer(api_db, "exec-api"))
    assert response.get_json()["rows"][0]["value"] == local[day] != utc.get(day, 0)


# --- access ---------------------------------------------------------------------------------

QUERY = {"metric": "revenue", "by": "channel", "start": "2025-01-01", "end": "2025-01-31"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}],
    ids=["none", "bad", "wrong-scheme"],
)
def test_no_valid_token_is_401(api, headers):
    response = api.get("/api/v1/metrics", query_string=QUERY, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_disabled_users_token_is_refused_with_403(api, api_db):
    response = api.get("/api/v1/metrics", query_string=QUERY, headers=bearer(api_db, "gone-api"))
    assert response.status_code == 403
    assert response.get_json() == {
        "error": "forbidden",
        "message": "the account gone-api is disabled",
    }


BUILT_ON_SPEND = [m.name for m in METRICS.values() if "spend" in (m.numerator, m.denominator)]


def test_cac_is_among_the_metrics_built_on_spend():
    assert set(BUILT_ON_SPEND) == {"spend", "roas", "cac"}


@pytest.mark.parametrize("metric", BUILT_ON_SPEND)
def test_a_role_without_access_gets_403(api, api_db, metric):
    """Executives may not read spend, nor any metric built on it (CAC × new customers would
    give spend back)."""
    query = QUERY | {"metric": metric}
    refused = api.get("/api/v1/metrics", query_string=query, headers=bearer(api_db, "exec-api"))
    assert refused.status_code == 403
    assert refused.get_json() == {
        "error": "forbidden",
        "message": f"the executive role may not read {metric}",
    }
    allowed = api.get("/api/v1/metrics", query_string=query, headers=bearer(api_db, "planner-api"))
    assert allowed.status_code == 200
    admin = api.get("/api/v1/metrics", query_string=query, headers=bearer(api_db, "admin-api"))
    assert admin.get_json() == allowed.get_json()


def test_planner_figures_for_spend_agree_with_pandas(api, api_db, facts):
    query = {
        "metric": "roas",
        "by": "touchpoint",
        "start": "2025-06-01",
        "end": "2025-06-30",
        "compare": ["yoy"],
    }
    response = api.get("/api/v1/metrics", query_string=query, headers=bearer(api_db, "planner-api"))
    expected = reference.expected_rows(
        facts, "roas", "touchpoint", dt.date(2025, 6, 1), dt.date(2025, 6, 30), ["yoy"]
    )
    assert assert_agrees(response.get_json(), expected, ["yoy"]) > 0


# --- bad parameters -------------------------------------------------------------------------

INJECTION = "web'; DROP TABLE sales_order; --"
BAD = [
    ({"metric": "profit"}, "metric", "unknown metric 'profit'"),
    ({"metric": None}, "metric", "metric is required"),
    ({"by": "planet"}, "by", "unknown by 'planet'"),
    ({"start": "2025-02-30"}, "start", "is not a valid date"),
    ({"start": "01/02/2025"}, "start", "is not a date in the form YYYY-MM-DD"),
    ({"start": "0001-01-01"}, "start", "start 0001-01-01 is outside the days read (1900-01-01"),
    ({"start": "9999-12-01", "end": "9999-12-31"}, "start", "is outside the days read"),
    ({"end": "2024-12-01"}, "end", "end 2024-12-01 is before start 2025-01-01"),
    ({"start": "2020-01-01"}, "end", "the maximum is"),
    ({"compare": ["lastweek"]}, "compare", "unknown compare 'lastweek'"),
    ({"grain": "hour"}, "grain", "unknown grain 'hour'"),
    ({"touchpoint": INJECTION}, "touchpoint", "is not a code"),
    ({"metric": "revenue' OR 1=1 --"}, "metric", "unknown metric"),
    ({"start": "2025-01-01'; DELETE FROM app_user; --"}, "start", "is not a date"),
    ({"channel": "nowhere"}, "channel", "unknown channel 'nowhere'"),
    ({"channel": ""}, "channel", "channel is empty"),
]


def _counts(url: str) -> dict[str, int]:
    with get_engine(url).connect() as conn:
        counts = {
            t.__tablename__: conn.execute(select(func.count()).select_from(t)).scalar()
            for t in (SalesOrder, DailyRollup, AppUser)
        }
        counts["tables"] = conn.execute(
            text("select count(*) from information_schema.tables where table_schema = 'public'")
        ).scalar()
    return counts


def test_bad_parameters_get_400_naming_the_parameter_and_change_nothing(api, api_db):
    before = _counts(api_db.url)
    for change, parameter, message in BAD:
        query = {k: v for k, v in (QUERY | change).items() if v is not None}
        response = api.get(
            "/api/v1/metrics", query_string=query, headers=bearer(api_db, "exec-api")
        )
        assert response.status_code == 400, (change, response.get_json())
        body = response.get_json()
        assert body["error"] == "bad_request" and body["parameter"] == parameter, (change, body)
        assert message in body["message"], (change, body)
    assert _counts(api_db.url) == before


def test_a_repeated_single_parameter_is_refused(api, api_db):
    response = api.get(
        "/api/v1/metrics?metric=revenue&metric=orders&by=channel&start=2025-01-01&end=2025-01-02",
        headers=bearer(api_db, "exec-api"),
    )
    assert response.status_code == 400 and response.get_json()["parameter"] == "metric"


def test_openapi_document_lists_the_enums(api):
    document = api.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    parameters = {p["name"]: p for p in document["paths"]["/api/v1/metrics"]["get"]["parameters"]}
    assert "revenue" in parameters["metric"]["schema"]["enum"]
    assert parameters["by"]["schema"]["enum"] == [
        "channel",
        "touchpoint",
        "region",
        "location",
        "day",
        "week",
        "month",
        "quarter",
    ]
    assert parameters["compare"]["schema"]["items"]["enum"] == ["prior", "yoy"]
    assert parameters["start"]["schema"]["format"] == "date"
