"""Fixtures for the alert tests: synthetic rollups, rules built in memory, local mail server."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest
from sqlalchemy import text

from analytics.alerts.jobs import evaluate_rules
from analytics.alerts.rules import RuleInfo
from analytics.alerts.rules import create_rule
from analytics.alerts.rules import list_rules
from analytics.cache import TARGETS_STAMP
from analytics.cache import renew_stamps
from db.engine import get_engine
from db.migrate import upgrade
from db.roles import system
from tests.alerts.synthetic import daily_frame
from tests.alerts.synthetic import write_rollup
from tests.conftest import create_database
from tests.conftest import drop_database
from tests.smtp import local_smtp


def make_rule(**values) -> RuleInfo:
    """A rule as the evaluator sees it, without storing it."""
    defaults = dict(
        id=0,
        name="test",
        metric="orders",
        kind="band",
        scope_type="total",
        scope_code="",
        region_code=None,
        location_code=None,
        severity="warning",
        grain="day",
        direction="both",
        threshold=None,
        comparison=None,
        params={},
        recipients={"emails": [], "webhook": None},
        escalation={"emails": [], "webhook": None},
        active=True,
        updated_by="tests",
    )
    return RuleInfo(**(defaults | values))


def _rollup_db(inject: bool) -> Iterator[str]:
    url = create_database("cp_alerts")
    upgrade(url)
    write_rollup(url, daily_frame(inject=inject))
    yield url
    drop_database(url)


@pytest.fixture(scope="module")
def injected_url() -> Iterator[str]:
    """A read-only database whose rollup holds the demo's injected anomalies."""
    yield from _rollup_db(inject=True)


@pytest.fixture(scope="module")
def clean_url() -> Iterator[str]:
    """A read-only database with the same seasonal data and no anomalies."""
    yield from _rollup_db(inject=False)


SCRATCH_TABLES = (
    "alert_notification",
    "rca_note",
    "alert_event",
    "alert",
    "alert_rule_state",
    "alert_rule",
    "daily_rollup",
    "daily_channel_rollup",
    "daily_channel_basket_rollup",
    "daily_product_rollup",
    "daily_basket_rollup",
    "product",
    "target",
)


@pytest.fixture(scope="module")
def scratch_db() -> Iterator[str]:
    url = create_database("cp_alerts")
    upgrade(url)
    yield url
    drop_database(url)


@pytest.fixture
def scratch_url(scratch_db, use_database) -> str:
    """A migrated PostgreSQL database shared by a module's tests, emptied of rollups, targets and
    alert rows before each test and made the configured database (the audit log, append-only,
    keeps growing: count its entries relative to the start of a test)."""
    with get_engine(scratch_db).begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(SCRATCH_TABLES)} RESTART IDENTITY CASCADE"))
    renew_stamps([TARGETS_STAMP], scratch_db)
    use_database(scratch_db)
    return scratch_db


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


@pytest.fixture
def smtp_server(monkeypatch) -> Iterator[Mailbox]:
    """A local SMTP server (aiosmtpd) configured through the CHANNELPERF_SMTP_* variables."""
    with local_smtp(monkeypatch, Mailbox(), "alerts@example.com") as mailbox:
        yield mailbox


T0 = dt.datetime(2026, 7, 1, 8, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 6, 30)


def fire_alert(url, escalation=None, metric: str = "revenue") -> int:
    """One open alert: a store threshold rule breached on ``DAY``, evaluated at ``T0``."""
    write_rollup(
        url,
        pd.DataFrame(
            [
                {
                    "day": DAY,
                    "touchpoint_id": 4,
                    "orders": 2,
                    "visits": 90,
                    "gross_revenue": 150.0,
                    "cost": 0.0,
                }
            ]
        ),
    )
    create_rule(
        {
            "name": f"store {metric} floor",
            "metric": metric,
            "kind": "threshold",
            "scope_type": "touchpoint",
            "scope_code": "physical_store",
            "direction": "below",
            "threshold": 1000,
            "escalation": escalation,
        },
        actor=system("tests"),
    )
    (alert_id,) = evaluate_rules(list_rules(), DAY, now=T0).fired
    return alert_id
