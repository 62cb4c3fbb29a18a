"""Alert notifications through an outbox: email over SMTP and a Slack-compatible webhook.

Queuing inserts one ``alert_notification`` row per alert × purpose × channel × recipient; its
idempotency key is unique, so queuing twice adds nothing. Delivery claims a due row by moving it
from ``pending`` to ``sending`` in its own committed statement (only one worker can win the
claim), sends, then marks it ``sent``; a failure puts it back to ``pending`` with an exponential
backoff until ``MAX_ATTEMPTS``, then ``failed``. A row is never claimed twice once sent, so it is
never sent twice; a worker that dies between sending and marking leaves the row in ``sending``
for a person to check rather than risk a duplicate.

Email goes out through ``analytics.mail`` (its ``CHANNELPERF_SMTP_*`` settings); links in
messages use ``CHANNELPERF_PUBLIC_URL`` when set.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from email.message import EmailMessage

import requests
from pydantic_settings import BaseSettings
from pydantic_settings import SettingsConfigDict
from sqlalchemy import select
from sqlalchemy import update

from analytics.alerts.rules import RuleInfo
from analytics.mail import SmtpSettings
from analytics.mail import send_mail
from analytics.metrics import format_value
from analytics.metrics import get_metric
from db.alert_tables import Alert
from db.alert_tables import AlertNotification
from db.engine import get_engine
from db.upsert import insert_for

MAX_ATTEMPTS = 8
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_CAP = dt.timedelta(hours=1)
SEND_TIMEOUT_S = 10
notification = AlertNotification.__table__


class LinkSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHANNELPERF_", extra="ignore")

    public_url: str | None = None


def backoff(attempts: int) -> dt.timedelta:
    """Wait after the ``attempts``-th failure: 1, 2, 4 … minutes, at most an hour."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def idempotency_key(alert_id: int, purpose: str, channel: str, recipient: str) -> str:
    digest = hashlib.sha256(recipient.encode()).hexdigest()[:16]
    return f"alert-{alert_id}-{purpose}-{channel}-{digest}"


def _fmt(value, unit: str) -> str:
    return format_value(None if value is None else float(value), unit)


def range_text(lower, upper, unit: str, currency: str = "USD") -> str:
    """The normal range in words: "$900 – $1.1k", "above $1.0k", "below 5.0%" or "—"."""
    low = None if lower is None else format_value(float(lower), unit, currency)
    high = None if upper is None else format_value(float(upper), unit, currency)
    if low and high:
        return f"{low} – {high}"
    if low:
        return f"above {low}"
    return f"below {high}" if high else "—"


def compose(alert: dict, purpose: str) -> tuple[str, dict]:
    """(subject, body) of an alert message; body is Slack-compatible: ``text`` and ``blocks``."""
    rule = alert["rule_snapshot"]
    metric = get_metric(rule["metric"])
    severity = rule["severity"].upper()
    where = RuleInfo(**rule).scope_label
    period = (
        f"{alert['period_start']:%d %b %Y}"
        if alert["period_start"] == alert["period_end"]
        else f"{alert['period_start']:%d %b %Y} – {alert['period_end']:%d %b %Y}"
    )
    prefix = "OVERDUE root cause — " if purpose == "escalation" else ""
    subject = f"{prefix}[{severity}] {metric.label} {alert['direction']} normal: {where}, {period}"
    band = range_text(alert["lower"], alert["upper"], metric.unit)
    lines = [
        f"*Rule:* {rule['name']} ({rule['kind']})",
        f"*Observed:* {_fmt(alert['observed'], metric.unit)}",
        f"*Expected:* {_fmt(alert['expected'], metric.unit)}",
        f"*Normal range:* {band}",
        f"*Root cause due:* {alert['due_at']:%d %b %Y %H:%M} UTC",
    ]
    public = LinkSettings().public_url
    link = f"{public.rstrip('/')}/alerts?alert={alert['id']}" if public else None
    if link:
        lines.append(f"<{link}|Open the alert>")
    text = f"{subject}\n" + "\n".join(line.replace("*", "") for line in lines)
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": subject[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": alert["message"]}]},
    ]
    return subject, {"text": text, "blocks": blocks}


def queue(conn, alert_id: int, purpose: str, contacts: dict, now: dt.datetime) -> int:
    """Queue the alert's message to every contact (``emails`` and ``webhook``); returns rows added.
    Runs in the caller's transaction; a message already queued is not queued again."""
    targets = [("email", e) for e in contacts.get("emails") or []]
    if contacts.get("webhook"):
        targets.append(("webhook", contacts["webhook"]))
    if not targets:
        return 0
    row = conn.execute(select(Alert.__table__).where(Alert.__table__.c.id == alert_id)).mappings()
    subject, body = compose(dict(row.one()), purpose)
    rows = [
        {
            "alert_id": alert_id,
            "purpose": purpose,
            "channel": channel,
            "recipient": recipient,
            "idempotency_key": idempotency_key(alert_id, purpose, channel, recipient),
            "subject": subject[:300],
            "body": body,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for channel, recipient in targets
    ]
    statement = insert_for(conn, notification).on_conflict_do_nothing(
        index_elements=["idempotency_key"]
    )
    return conn.execute(statement, rows).rowcount or 0


def send_email(recipient: str, subject: str, body: dict, key: str) -> None:
    settings = SmtpSettings()
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = f"<{key}@channelperf>"
    message.set_content(body["text"])
    send_mail(message, settings.model_copy(update={"timeout": SEND_TIMEOUT_S}))


def send_webhook(url: str, body: dict, key: str) -> None:
    response = requests.post(
        url, json=body, headers={"Idempotency-Key": key}, timeout=SEND_TIMEOUT_S
    )
    response.raise_for_status()


SENDERS = {
    "email": lambda row: send_email(
        row["recipient"], row["subject"], row["body"], row["idempotency_key"]
    ),
    "webhook": lambda row: send_webhook(row["recipient"], row["body"], row["idempotency_key"]),
}


@dataclass(frozen=True)
class DeliveryResult:
    sent: int
    retrying: int
    failed: int


def _claim(engine, row_id: int, now: dt.datetime) -> bool:
    with engine.begin() as conn:
        claimed = conn.execute(
            update(notification)
            .where(
                notification.c.id == row_id,
                notification.c.status == "pending",
                notification.c.next_attempt_at <= now,
            )
            .values(status="sending", attempts=notification.c.attempts + 1)
        )
        return claimed.rowcount == 1


def deliver_pending(
    now: dt.datetime | None = None, url: str | None = None, limit: int = 200
) -> DeliveryResult:
    """Send every due pending notification once; failures wait for their backoff."""
    now = now or dt.datetime.now(dt.UTC)
    engine = get_engine(url)
    with engine.connect() as conn:
        due = (
            conn.execute(
                select(notification)
                .where(notification.c.status == "pending", notification.c.next_attempt_at <= now)
                .order_by(notification.c.id)
                .limit(limit)
            )
            .mappings()
            .all()
        )
    sent = retrying = failed = 0
    for row in due:
        if not _claim(engine, row["id"], now):
            continue
        attempts = row["attempts"] + 1
        try:
            SENDERS[row["channel"]](row)
        except Exception as exc:  # any transport error is retried, never raised to the job
            give_up = attempts >= MAX_ATTEMPTS
            values = {
                "status": "failed" if give_up else "pending",
                "last_error": f"{type(exc).__name__}: {exc}"[:2000],
                "next_attempt_at": now + backoff(attempts),
            }
            failed += give_up
            retrying += not give_up
        else:
            values = {"status": "sent", "sent_at": now, "last_error": None}
            sent += 1
        with engine.begin() as conn:
            conn.execute(
                update(notification).where(notification.c.id == row["id"]).values(**values)
            )
    return DeliveryResult(sent, retrying, failed)


def notifications_for(alert_id: int, url: str | None = None) -> list[dict]:
    with get_engine(url).connect() as conn:
        rows = (
            conn.execute(
                select(notification)
                .where(notification.c.alert_id == alert_id)
                .order_by(notification.c.id)
            )
            .mappings()
            .all()
        )
    return [dict(r) for r in rows]
