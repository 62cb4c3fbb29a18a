"""Each data-integrity check passes on clean data and catches a seeded defect of its kind."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import text
from sqlalchemy import update

from analytics.quality.frames import day_lines
from analytics.quality.frames import day_orders
from analytics.quality.runner import run_checks
from analytics.quality.schemas import FRAME_CHECKS
from analytics.quality.sources import SQL_CHECKS
from analytics.quality.tolerances import Tolerances
from db.schema import IngestRun
from db.schema import OrderLine
from db.schema import SalesOrder
from tests.quality.conftest import copy_order

ORDERS = SalesOrder.__table__
LINES = OrderLine.__table__
RUNS = IngestRun.__table__
DAYS = [dt.date(2026, 6, 30) - dt.timedelta(days=n) for n in range(0, 60, 3)]
WEB, MOBILE, UNASSIGNED = 1, 2, 99

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


DEFAULTS = Tolerances()


def frame_check(conn, name, day, tolerances=DEFAULTS):
    return FRAME_CHECKS[name](day, day_orders(conn, day), day_lines(conn, day), tolerances)


def sql_check(conn, name, day, now, tolerances=DEFAULTS):
    return SQL_CHECKS[name](conn, day, tolerances, now)


def an_order(conn, day) -> dict:
    """The first order of the day that has at least two lines."""
    return dict(
        conn.execute(
            select(ORDERS)
            .where(
                ORDERS.c.order_day == day,
                select(func.count()).where(LINES.c.order_id == ORDERS.c.id).scalar_subquery() >= 2,
            )
            .order_by(ORDERS.c.id)
            .limit(1)
        )
        .mappings()
        .one()
    )


def busy_day(conn) -> dt.date:
    return conn.execute(
        select(ORDERS.c.order_day)
        .group_by(ORDERS.c.order_day)
        .order_by(func.count().desc(), ORDERS.c.order_day.desc())
        .limit(1)
    ).scalar_one()


def test_every_check_passes_on_clean_data(quality_demo, rollback_conn):
    now = quality_demo.loaded_at + dt.timedelta(hours=1)
    for day in DAYS:
        results = run_checks(rollback_conn, day, Tolerances(), now)
        bad = [r for r in results if r.status != "pass"]
        assert not bad, bad
        assert {r.check for r in results} == {*FRAME_CHECKS, *SQL_CHECKS}


def test_order_keys_catches_duplicate_and_empty_keys(rollback_conn):
    day = busy_day(rollback_conn)
    order = an_order(rollback_conn, day)
    # The same order loaded twice under a key differing only by a trailing blank.
    copy_order(rollback_conn, order["id"], source_order_id=order["source_order_id"] + " ")
    result = frame_check(rollback_conn, "order_keys", day)
    assert result.status == "fail"
    assert result.observed.startswith("2 of ")
    assert order["source_order_id"] in result.message

    rollback_conn.execute(
        update(ORDERS).where(ORDERS.c.id == order["id"]).values(source_order_id="")
    )
    result = frame_check(rollback_conn, "order_keys", day)
    assert result.status == "fail" and "source_order_id=''" in result.message


def test_order_lines_catches_an_order_without_lines_and_a_missing_line(rollback_conn):
    day = busy_day(rollback_conn)
    order = an_order(rollback_conn, day)
    rollback_conn.execute(
        update(LINES).where(LINES.c.order_id == order["id"]).values(line_no=LINES.c.line_no * 10)
    )
    assert frame_check(rollback_conn, "order_lines", day).status == "pass"  # SAP numbering
    rollback_conn.execute(
        delete(LINES).where(LINES.c.order_id == order["id"], LINES.c.line_no == 10)
    )
    result = frame_check(rollback_conn, "reconciliation", day)
    assert result.status == "fail" and str(order["id"]) in result.message

    rollback_conn.execute(delete(LINES).where(LINES.c.order_id == order["id"]))
    result = frame_check(rollback_conn, "order_lines", day)
    assert result.status == "fail" and f"order {order['id']}: line_count=0" in result.message


def test_valid_values_catches_bad_status_currency_amount_and_quantity(rollback_conn):
    day = busy_day(rollback_conn)
    ids = [
        r.id
        for r in rollback_conn.execute(
            select(ORDERS.c.id).where(ORDERS.c.order_day == day).order_by(ORDERS.c.id).limit(3)
        )
    ]
    rollback_conn.execute(update(ORDERS).where(ORDERS.c.id == ids[0]).values(currency="XYZ"))
    rollback_conn.execute(update(ORDERS).where(ORDERS.c.id == ids[1]).values(status="shipped"))
    rollback_conn.execute(update(ORDERS).where(ORDERS.c.id == ids[2]).values(shipping=-5))
    rollback_conn.execute(
        update(LINES).where(LINES.c.order_id == ids[0], LINES.c.line_no == 1).values(qty=-1)
    )
    result = frame_check(rollback_conn, "valid_values", day)
    assert result.status == "fail"
    # three bad orders and one bad line
    assert result.observed.startswith("4 of ")
    for fragment in ("currency='XYZ'", "status='shipped'", "shipping=", "qty=-1"):
        assert fragment in result.message


def test_reconciliation_fails_beyond_one_cent_only(rollback_conn):
    day = busy_day(rollback_conn)
    order = an_order(rollback_conn, day)
    rollback_conn.execute(
        update(ORDERS)
        .where(ORDERS.c.id == order["id"])
        .values(total=order["total"] + Decimal("0.01"))
    )
    assert frame_check(rollback_conn, "reconciliation", day).status == "pass"
    rollback_conn.execute(
        update(ORDERS)
        .where(ORDERS.c.id == order["id"])
        .values(total=order["total"] + Decimal("0.02"))
    )
    result = frame_check(rollback_conn, "reconciliation", day)
    assert result.status == "fail"
    assert "subtotal_less_discount_plus_tax_shipping_is_total" in result.message

    rollback_conn.execute(
        update(ORDERS).where(ORDERS.c.id == order["id"]).values(total=order["total"])
    )
    rollback_conn.execute(
        update(LINES)
        .where(LINES.c.order_id == order["id"], LINES.c.line_no == 1)
        .values(line_total=LINES.c.line_total + Decimal("1.00"))
    )
    result = frame_check(rollback_conn, "reconciliation", day)
    assert result.status == "fail" and "lines_sum_to_subtotal" in result.message


def test_freshness_by_lag_since_last_successful_run(quality_demo, rollback_conn):
    day = DAYS[0]
    last = rollback_conn.execute(
        select(func.max(RUNS.c.finished_at)).where(RUNS.c.source_system == "demo")
    ).scalar_one()
    status = {
        hours: sql_check(rollback_conn, "freshness", day, last + dt.timedelta(hours=hours))[
            0
        ].status
        for hours in (1, 25.9, 27, 51, 53)
    }
    assert status == {1: "pass", 25.9: "pass", 27: "warn", 51: "warn", 53: "fail"}

    # A source whose runs all failed is never fresh.
    rollback_conn.execute(
        RUNS.insert().values(
            source_system="shopify",
            source_instance="main",
            stream="orders",
            started_at=last,
            finished_at=last,
            status="failed",
            error="HTTP 500",
        )
    )
    results = {r.scope: r for r in sql_check(rollback_conn, "freshness", day, last)}
    assert results["shopify"].status == "fail" and results["shopify"].observed == "never succeeded"
    assert results["demo"].status == "pass"


def seed_volume(conn, template_id, day, counts_by_day, touchpoint_id=WEB):
    for when, count in counts_by_day.items():
        for n in range(count):
            copy_order(
                conn,
                template_id,
                source_order_id=f"vol-{touchpoint_id}-{when}-{n}",
                order_day=when,
                touchpoint_id=touchpoint_id,
            )


def test_volume_against_median_of_same_weekday(rollback_conn):
    # A Monday after the demo data ends, so only the seeded orders count.
    day = dt.date(2026, 8, 3)
    template = an_order(rollback_conn, busy_day(rollback_conn))["id"]
    history = [30, 18, 26, 40]  # the same weekday 1–4 weeks before
    seed_volume(
        rollback_conn,
        template,
        day,
        {day - dt.timedelta(weeks=w + 1): n for w, n in enumerate(history)},
    )
    median = float(np.median(history))  # 28
    tolerance = Tolerances().volume_change
    outcomes = {}
    for observed in (28, 15, 13, 42, 43):
        with rollback_conn.begin_nested() as savepoint:
            seed_volume(rollback_conn, template, day, {day: observed})
            (result,) = [
                r
                for r in sql_check(rollback_conn, "volume", day, dt.datetime.now(dt.UTC))
                if r.scope.endswith("× web")
            ]
            outcomes[observed] = result.status
            savepoint.rollback()
    expected = {
        n: "fail"
        if (n - median) / median < -tolerance
        else "warn"
        if (n - median) / median > tolerance
        else "pass"
        for n in outcomes
    }
    assert outcomes == expected == {28: "pass", 15: "pass", 13: "fail", 42: "pass", 43: "warn"}

    # A source × channel that stops delivering fails.
    seed_volume(
        rollback_conn,
        template,
        day,
        {day - dt.timedelta(weeks=w + 1): 25 for w in range(4)},
        touchpoint_id=MOBILE,
    )
    results = {
        r.scope.split(" × ")[1]: r
        for r in sql_check(rollback_conn, "volume", day, dt.datetime.now(dt.UTC))
    }
    assert results["mobile_app"].status == "fail"
    assert results["mobile_app"].observed == "0 orders"


def test_source_counts_catch_a_run_that_lost_records(rollback_conn):
    day = busy_day(rollback_conn)
    now = dt.datetime.now(dt.UTC)
    assert all(r.status == "pass" for r in sql_check(rollback_conn, "source_counts", day, now))
    run_id = rollback_conn.execute(
        select(ORDERS.c.ingest_run_id).where(ORDERS.c.order_day == day).limit(1)
    ).scalar_one()
    rollback_conn.execute(update(RUNS).where(RUNS.c.id == run_id).values(read=RUNS.c.read + 2))
    (result,) = sql_check(rollback_conn, "source_counts", day, now)
    assert result.status == "fail"
    assert f"run {run_id}" in result.message


def test_unassigned_share_above_tolerance_fails(rollback_conn):
    day = DAYS[0]
    tolerances = Tolerances(unassigned_window_days=42, unassigned_min_orders=20)
    first = day - dt.timedelta(days=41)
    frame = pd.read_sql(
        text(
            "select source_system, touchpoint_id from sales_order where order_day between :a and :b"
        ),
        rollback_conn,
        params={"a": first, "b": day},
    )

    def expected(frame):
        share = frame.assign(u=frame.touchpoint_id == UNASSIGNED).groupby("source_system")["u"]
        return {
            s: "fail" if n >= 20 and m > 0.05 else "pass"
            for s, m, n in zip(share.mean().index, share.mean(), share.size(), strict=True)
        }

    clean = {
        r.scope: r.status
        for r in sql_check(rollback_conn, "unassigned_share", day, None, tolerances)
    }
    assert clean == expected(frame)
    assert clean["shopify"] == "pass"

    shopify_ids = frame.index[frame.source_system == "shopify"]
    ids = pd.read_sql(
        text(
            "select id from sales_order where source_system = 'shopify' "
            "and order_day between :a and :b order by id"
        ),
        rollback_conn,
        params={"a": first, "b": day},
    )["id"].tolist()
    moved = ids[: len(ids) // 4]
    rollback_conn.execute(
        update(ORDERS).where(ORDERS.c.id.in_(moved)).values(touchpoint_id=UNASSIGNED)
    )
    frame.loc[shopify_ids[: len(moved)], "touchpoint_id"] = UNASSIGNED
    seeded = {
        r.scope: r for r in sql_check(rollback_conn, "unassigned_share", day, None, tolerances)
    }
    assert {s: r.status for s, r in seeded.items()} == expected(frame)
    assert seeded["shopify"].status == "fail"
