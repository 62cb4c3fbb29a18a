"""Alert jobs: evaluation after an ingest batch and on a schedule, escalation and delivery.

Job paths (for ``db.jobs.enqueue`` and ``db.events.BATCH_HOOKS``):
``analytics.alerts.jobs.evaluate_after_batch``, ``analytics.alerts.jobs.run_schedule``,
``analytics.alerts.jobs.deliver_notifications``.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from dataclasses import field

from sqlalchemy import text

from analytics.alerts import notifications
from analytics.alerts.buckets import latest_complete_bucket
from analytics.alerts.episodes import record_verdict
from analytics.alerts.evaluation import RollupFrame
from analytics.alerts.evaluation import history_start
from analytics.alerts.evaluation import judge
from analytics.alerts.evaluation import rule_target
from analytics.alerts.rules import RuleInfo
from analytics.alerts.rules import list_rules
from analytics.alerts.workflow import escalate_overdue
from analytics.periods import Period
from analytics.periods import require_over
from analytics.rollup import data_range
from db.engine import get_engine
from db.jobs import enqueue
from db.settings import get_settings

log = logging.getLogger(__name__)
# Serialises evaluators so two workers never open the same episode twice.
EVALUATION_LOCK_KEY = 7_310_004
DELIVERY_JOB = "analytics.alerts.jobs.deliver_notifications"


@dataclass
class EvaluationResult:
    as_of: dt.date | None
    evaluated: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    fired: list[int] = field(default_factory=list)
    seconds: float = 0.0
    # where the time went: "read" (rollup), "judge <kind>" per rule kind, "record" (episodes)
    timings: dict[str, float] = field(default_factory=dict)


def evaluate_rules(
    rules: list[RuleInfo],
    as_of: dt.date,
    now: dt.datetime | None = None,
    url: str | None = None,
) -> EvaluationResult:
    """Judge each rule on its latest complete bucket as of ``as_of`` and apply the verdicts."""
    return evaluate_days(rules, [as_of], now, url)


def evaluate_days(
    rules: list[RuleInfo],
    days: list[dt.date],
    now: dt.datetime | None = None,
    url: str | None = None,
) -> EvaluationResult:
    """Judge each rule on its latest complete bucket as of each day, oldest day first, from one
    read of the rollup, and apply the verdicts in that order: a rule added to loaded history
    (the demo's default rules) finds the breaches of those days as if it had watched them."""
    started = time.perf_counter()
    now = now or dt.datetime.now(dt.UTC)
    days = sorted(set(days))
    result = EvaluationResult(days[-1] if days else None)
    if not rules or not days:
        return result
    judged, seen = [], set()  # (rule, bucket) in the order they are applied, each pair once
    for day in days:
        for rule in rules:
            bucket = latest_complete_bucket(day, rule.grain)
            if (rule.id, bucket) not in seen:
                seen.add((rule.id, bucket))
                judged.append((rule, bucket))
    first = min(history_start(rule, bucket) for rule, bucket in judged)
    data = RollupFrame(rules, Period(first, days[-1]), url)
    lap = time.perf_counter()
    result.timings["read"] = lap - started
    verdicts = []
    for rule, bucket in judged:
        series = data.series(rule, bucket.end, history_start(rule, bucket))
        verdicts.append((rule, bucket, judge(rule, series, bucket, rule_target(rule, bucket, url))))
        now_lap = time.perf_counter()
        key = f"judge {rule.kind}"
        result.timings[key] = result.timings.get(key, 0.0) + now_lap - lap
        lap = now_lap
    with get_engine(url).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVALUATION_LOCK_KEY})
        for rule, bucket, verdict in verdicts:
            outcome, alert_id = record_verdict(conn, rule, bucket, verdict, now)
            result.outcomes[outcome] = result.outcomes.get(outcome, 0) + 1
            if outcome == "fired":
                result.fired.append(alert_id)
    result.evaluated = len(rules)
    result.seconds = time.perf_counter() - started
    result.timings["record"] = time.perf_counter() - lap
    return result


def last_complete_day(url: str | None = None, now: dt.datetime | None = None) -> dt.date | None:
    """The last day with orders that is over in the company's time zone (None without one).
    Today so far is not judged against a whole day's band: at 3 a.m. every channel would be
    far below its usual day. The scheduled pass judges a day once it has ended."""
    bounds = data_range(url)
    if bounds is None:
        return None
    last = min(bounds[1], get_settings().last_day_over(now))
    return last if last >= bounds[0] else None


def _deliver_if_fired(result: EvaluationResult) -> None:
    if result.fired:
        enqueue(DELIVERY_JOB, queue="alerts")


def evaluate_all(
    as_of: dt.date | None = None, now: dt.datetime | None = None, deliver: bool = True
) -> EvaluationResult:
    """Judge every active rule as of ``as_of`` (default: ``last_complete_day``). A day not over
    yet is refused: judged as of it, a rule would mark its state past the days still to come and
    never judge them."""
    if as_of is not None:
        require_over(as_of, now)
    as_of = as_of or last_complete_day(now=now)
    if as_of is None:
        return EvaluationResult(None)
    result = evaluate_rules(list_rules(active_only=True), as_of, now)
    if deliver:
        _deliver_if_fired(result)
    return result


def rules_touched(rules: list[RuleInfo], days: list[str], as_of: dt.date) -> list[RuleInfo]:
    """The rules whose latest complete bucket as of ``as_of`` holds one of the touched days."""
    touched = [dt.date.fromisoformat(d[:10]) for d in days]
    chosen = []
    for rule in rules:
        bucket = latest_complete_bucket(as_of, rule.grain)
        if any(bucket.start <= day <= bucket.end for day in touched):
            chosen.append(rule)
    return chosen


def evaluate_after_batch(days: list[str]) -> EvaluationResult:
    """The after-batch hook: judge the rules whose latest complete bucket the batch touched."""
    as_of = last_complete_day()
    if as_of is None or not days:
        return EvaluationResult(as_of)
    rules = rules_touched(list_rules(active_only=True), days, as_of)
    result = evaluate_rules(rules, as_of)
    log.info("alerts after batch: %s rules, outcomes %s", result.evaluated, result.outcomes)
    _deliver_if_fired(result)
    return result


def deliver_notifications(now: dt.datetime | None = None) -> notifications.DeliveryResult:
    return notifications.deliver_pending(now)


def run_schedule(now: dt.datetime | None = None) -> dict:
    """The scheduled pass (e.g. every 15 min): evaluate, escalate overdue, deliver the outbox."""
    evaluated = evaluate_all(now=now, deliver=False)
    escalated = escalate_overdue(now)
    delivered = notifications.deliver_pending(now)
    return {
        "evaluated": evaluated.evaluated,
        "fired": evaluated.fired,
        "escalated": escalated,
        "sent": delivered.sent,
        "retrying": delivered.retrying,
        "failed": delivered.failed,
    }
