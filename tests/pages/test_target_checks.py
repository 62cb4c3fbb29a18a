"""Setting targets: each one saved is audited with its scope, metric, period and values before
and after; a target overlapping another of its scope and metric is refused (naming the other),
one for exactly its period replaces it; every wrong row is reported in plain words."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from analytics.errors import AnalyticsError
from analytics.periods import Period
from analytics.prorated_targets import target_for
from analytics.targets import TargetInput
from analytics.targets import import_target_csv
from analytics.targets import list_targets
from analytics.targets import set_target
from db.engine import get_engine
from db.roles import Actor
from db.schema import AuditLog
from db.target_tables import Target
from tests.pages.target_csvs import row_count

pytestmark = pytest.mark.postgres
ADMIN = Actor("ada", "admin")
HEADER = "scope_type,scope_code,metric,period_start,period_end,value\n"
Q4 = TargetInput("total", "total", "revenue", "2026-10-01", "2026-12-31", "494400")


def _revenue(start: str, end: str, value: str, scope: str = "total:total") -> TargetInput:
    scope_type, _, code = scope.partition(":")
    return TargetInput(scope_type, code, "revenue", start, end, value)


def _audit_entries(after_id: int) -> list[dict]:
    table = AuditLog.__table__
    with get_engine().connect() as conn:
        query = select(table).where(table.c.id > after_id).order_by(table.c.id)
        return [dict(row) for row in conn.execute(query).mappings()]


def _last_audit_id() -> int:
    table = AuditLog.__table__
    with get_engine().connect() as conn:
        return conn.execute(select(table.c.id).order_by(table.c.id.desc()).limit(1)).scalar() or 0


def test_a_saved_target_is_audited_with_its_scope_period_and_both_values(pg_url):
    first = _last_audit_id()
    set_target(_revenue("2026-10-01", "2026-12-31", "50000", "category:ecommerce"), ADMIN)
    set_target(_revenue("2026-10-01", "2026-12-31", "60000.00", "category:ecommerce"), ADMIN)
    [target_id] = list_targets()["id"].tolist()
    created, changed = _audit_entries(first)
    described = {
        "scope_type": "category",
        "scope_code": "ecommerce",
        "metric": "revenue",
        "period_start": "2026-10-01",
        "period_end": "2026-12-31",
    }
    assert (created["action"], created["entity_type"], created["entity_id"]) == (
        "target.set",
        "target",
        str(target_id),
    )
    assert created["before"] is None
    assert created["after"] == {**described, "value": "50000"}
    assert changed["action"] == "target.set" and changed["actor"] == "ada"
    assert changed["before"] == {**described, "value": "50000"}
    assert changed["after"] == {**described, "value": "60000"}


def test_an_import_audits_each_target(pg_url):
    first = _last_audit_id()
    content = (
        HEADER
        + "total,,revenue,2026-10-01,2026-12-31,494400\n"
        + "category,wholesale,aov,2026-10-01,2026-12-31,81.5\n"
    )
    assert import_target_csv(content.encode(), ADMIN) == 2
    entries = _audit_entries(first)
    assert [(e["action"], e["after"]["scope_code"], e["after"]["value"]) for e in entries] == [
        ("target.set", "total", "494400"),
        ("target.set", "wholesale", "81.5"),
    ]


def test_an_overlapping_target_is_refused_naming_the_existing_one(pg_url):
    set_target(Q4, ADMIN)
    for start, end in (("2026-12-01", "2026-12-31"), ("2026-12-15", "2027-01-15")):
        with pytest.raises(AnalyticsError) as refused:
            set_target(_revenue(start, end, "60000"), ADMIN)
        assert str(refused.value) == (
            f"The revenue target of all channels for {start} – {end} overlaps the existing one "
            "for 2026-10-01 – 2026-12-31 (494,400): to change that one, save a target for "
            "exactly 2026-10-01 – 2026-12-31 (or delete it first); otherwise choose days it "
            "does not cover"
        )
    assert row_count(Target) == 1
    december = Period(dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert target_for("revenue", december) == pytest.approx(494_400 * 31 / 92)

    # The same period replaces it; other days, scopes and metrics are other targets.
    set_target(_revenue("2026-10-01", "2026-12-31", "500000"), ADMIN)
    set_target(_revenue("2027-01-01", "2027-03-31", "510000"), ADMIN)
    set_target(_revenue("2026-12-01", "2026-12-31", "60000", "category:ecommerce"), ADMIN)
    set_target(TargetInput("total", "total", "aov", "2026-12-01", "2026-12-31", "80"), ADMIN)
    targets = list_targets()
    total = targets[(targets["scope_type"] == "total") & (targets["metric"] == "revenue")]
    assert sorted(total["value"]) == [500_000.0, 510_000.0]
    assert len(targets) == 4


def test_a_csv_overlapping_a_target_or_itself_is_refused_whole(pg_url):
    set_target(Q4, ADMIN)
    content = (
        HEADER
        + "category,ecommerce,revenue,2027-01-01,2027-03-31,150000\n"  # fine
        + "total,total,revenue,2026-12-01,2026-12-31,60000\n"  # the Q4 target's days
        + "category,wholesale,revenue,2027-01-01,2027-01-31,1000\n"
        + "category,wholesale,revenue,2027-01-15,2027-02-15,1000\n"  # line 4's days
        + "category,ecommerce,revenue,2027-01-01,2027-03-31,150000\n"  # line 2 again
        + "total,total,revenue,2026-10-01,2026-12-31,500000\n"  # replaces Q4, but line 3
    )
    with pytest.raises(AnalyticsError) as refused:
        import_target_csv(content.encode(), ADMIN)
    assert str(refused.value).splitlines() == [
        "4 rows are wrong:",
        "line 3: the revenue target of all channels for 2026-12-01 – 2026-12-31 overlaps the "
        "existing one for 2026-10-01 – 2026-12-31 (494,400): to change that one, save a target "
        "for exactly 2026-10-01 – 2026-12-31 (or delete it first); otherwise choose days it "
        "does not cover",
        "line 5: the revenue target of category wholesale for 2027-01-15 – 2027-02-15 overlaps "
        "line 4 (2027-01-01 – 2027-01-31); targets of one channel and metric may not share days",
        "line 6: the revenue target of category ecommerce for 2027-01-01 – 2027-03-31 repeats "
        "line 2",
        "line 7: the revenue target of all channels for 2026-10-01 – 2026-12-31 overlaps line 3 "
        "(2026-12-01 – 2026-12-31); targets of one channel and metric may not share days",
    ]
    assert list_targets()["value"].tolist() == [494_400.0]


def test_form_errors_name_the_fields_in_plain_words(pg_url):
    refusals = {
        _revenue("2026-10-01", "2026-12-31", "50.000,00"): (
            "Value: '50.000,00' is not a number (use digits with a dot for decimals, e.g. 50000.00)"
        ),
        _revenue("", "", ""): "Fill in the start, the end and the value",
        _revenue("2026-10-01", "", "5"): "Fill in the end",
        _revenue("2026-10-01", "2026-09-30", "-5"): (
            "End: 2026-09-30 is before the start 2026-10-01; "
            "Value: -5 must be at least 0 and below 1,000,000,000,000"
        ),
        _revenue("2026-10-01", "2026-02-30", "5"): (
            "End: '2026-02-30' is not a date (use YYYY-MM-DD)"
        ),
    }
    for item, message in refusals.items():
        with pytest.raises(AnalyticsError) as refused:
            set_target(item, ADMIN)
        assert str(refused.value) == message
    assert row_count(Target) == 0


def test_a_csv_lists_every_wrong_row_by_line_up_to_twenty(pg_url):
    bad = "".join(f"total,total,revenue,2026-{m:02d}-01,2026-{m:02d}-28,lots\n" for m in (1, 2))
    content = (
        HEADER
        + "total,total,revenue,2025-01-01,2025-01-31,100\n"
        + bad
        + "planet,mars,revenue,2025-02-01,2025-02-28,1\n"
        + "total,total,visits,2025-03-01,2025-03-31,\n"
        + "total,total,orders,2025-04-01,2025-04-31,1\n"
    )
    with pytest.raises(AnalyticsError) as refused:
        import_target_csv(content.encode(), ADMIN)
    assert str(refused.value).splitlines() == [
        "5 rows are wrong:",
        "line 3: value: 'lots' is not a number (use digits with a dot for decimals, e.g. 50000.00)",
        "line 4: value: 'lots' is not a number (use digits with a dot for decimals, e.g. 50000.00)",
        "line 5: scope_type: 'planet' is not one of total, category, touchpoint",
        "line 6: fill in value",
        "line 7: metric: 'orders' is not one of revenue, conversion_rate, aov, margin_pct; "
        "period_end: '2025-04-31' is not a date (use YYYY-MM-DD)",
    ]
    many = HEADER + "".join(
        f"total,total,revenue,2026-01-{day:02d},2026-01-{day:02d},x\n" for day in range(1, 26)
    )
    with pytest.raises(AnalyticsError) as refused:
        import_target_csv(many.encode(), ADMIN)
    lines = str(refused.value).splitlines()
    assert lines[0] == "25 rows are wrong:" and lines[-1] == "… and 5 more"
    assert lines[1].startswith("line 2: ") and lines[20].startswith("line 21: ")
    assert row_count(Target) == 0
