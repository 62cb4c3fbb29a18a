"""Email to a local SMTP server, the webhook to a local HTTP server; a failing endpoint is
retried after its backoff and nothing is ever sent twice."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pandas as pd
import pytest
from sqlalchemy import select
from werkzeug import Response

from analytics.alerts.jobs import evaluate_rules
from analytics.alerts.notifications import backoff
from analytics.alerts.notifications import deliver_pending
from analytics.alerts.notifications import notifications_for
from analytics.alerts.rules import create_rule
from analytics.alerts.rules import list_rules
from db.alert_tables import AlertNotification
from db.engine import get_engine
from db.roles import system
from tests.alerts.conftest import T0
from tests.alerts.synthetic import WEB_REVENUE_FLOOR
from tests.alerts.synthetic import write_rollup

pytestmark = pytest.mark.postgres
DAY = dt.date(2026, 6, 30)


def _fire(url, recipients) -> int:
    write_rollup(
        url,
        pd.DataFrame(
            [
                {
                    "day": DAY,
                    "touchpoint_id": 1,
                    "orders": 3,
                    "visits": 90,
                    "gross_revenue": 120.0,
                    "cost": 0.0,
                }
            ]
        ),
    )
    create_rule(
        {**WEB_REVENUE_FLOOR, "severity": "critical", "recipients": recipients},
        actor=system("tests"),
    )
    result = evaluate_rules(list_rules(), DAY, now=T0)
    assert len(result.fired) == 1
    return result.fired[0]


def test_email_and_webhook_are_delivered_once(scratch_url, smtp_server, httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_json({"ok": True})
    alert_id = _fire(
        scratch_url,
        {"emails": ["ops@example.com", "cfo@example.com"], "webhook": httpserver.url_for("/hook")},
    )
    result = deliver_pending(T0)
    assert (result.sent, result.retrying, result.failed) == (3, 0, 0)
    assert sorted(m[0][0] for m in smtp_server.messages) == ["cfo@example.com", "ops@example.com"]
    subject = "Subject: [CRITICAL] Revenue below normal: Web, 30 Jun 2026"
    assert subject in smtp_server.messages[0][1]
    assert (
        "Observed: $120\r\nExpected: $1.0k\r\nNormal range: above $1.0k"
        in smtp_server.messages[0][1]
    )
    ((request, _response),) = httpserver.log
    body = json.loads(request.data)
    assert body["text"].startswith("[CRITICAL] Revenue below normal")
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "context"]
    assert request.headers["Idempotency-Key"].startswith(f"alert-{alert_id}-fired-webhook-")
    # nothing left to send, now or later
    assert deliver_pending(T0 + dt.timedelta(days=1)).sent == 0
    assert len(smtp_server.messages) == 2 and len(httpserver.log) == 1
    assert {n["status"] for n in notifications_for(alert_id)} == {"sent"}


def test_failing_webhook_is_retried_after_backoff_and_sent_once(scratch_url, httpserver):
    httpserver.expect_ordered_request("/hook").respond_with_response(Response("down", 503))
    httpserver.expect_ordered_request("/hook").respond_with_response(Response("down", 500))
    httpserver.expect_ordered_request("/hook").respond_with_json({"ok": True})
    _fire(scratch_url, {"webhook": httpserver.url_for("/hook")})
    first = deliver_pending(T0)
    assert (first.sent, first.retrying) == (0, 1)
    # not due before its backoff
    assert deliver_pending(T0 + backoff(1) - dt.timedelta(seconds=1)).retrying == 0
    assert len(httpserver.log) == 1
    second_at = T0 + backoff(1)
    assert deliver_pending(second_at).retrying == 1
    third_at = second_at + backoff(2)
    assert backoff(2) == 2 * backoff(1)
    assert deliver_pending(third_at).sent == 1
    for later in (third_at, third_at + dt.timedelta(hours=5)):
        assert deliver_pending(later).sent == 0
    assert [r.status_code for _q, r in httpserver.log] == [503, 500, 200]
    with get_engine(scratch_url).connect() as conn:
        row = conn.execute(select(AlertNotification.__table__)).mappings().one()
    assert row["status"] == "sent" and row["attempts"] == 3


def test_concurrent_deliverers_send_once(scratch_url, smtp_server):
    _fire(scratch_url, {"emails": ["ops@example.com"]})
    barrier = threading.Barrier(4)
    results = []

    def run():
        barrier.wait()
        results.append(deliver_pending(T0).sent)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(results) == 1
    assert len(smtp_server.messages) == 1


def test_smtp_down_is_retried(scratch_url, monkeypatch):
    from tests.browser import free_port

    monkeypatch.setenv("CHANNELPERF_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CHANNELPERF_SMTP_PORT", str(free_port()))  # nothing listens there
    alert_id = _fire(scratch_url, {"emails": ["ops@example.com"]})
    assert deliver_pending(T0).retrying == 1
    (row,) = notifications_for(alert_id)
    assert row["status"] == "pending" and "Connection" in row["last_error"]
