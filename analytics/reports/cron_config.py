"""RQ cron configuration: ``rq cron analytics.reports.cron_config --url $CHANNELPERF_REDIS_URL``.

Enqueues the daily data validation (02:30, scheduler's local time), the hourly
check that sends the weekly executive summary when its schedule is due, and
every 15 minutes the alert schedule (evaluate all rules, escalate overdue root
causes, retry notifications).
"""

from rq import cron

from analytics.alerts.jobs import run_schedule
from analytics.quality.runner import validate_job
from analytics.reports.schedule import HOURLY
from analytics.reports.schedule import send_due_reports

cron.register(validate_job, "default", cron="30 2 * * *", name="quality:validate")
cron.register(send_due_reports, "default", cron=HOURLY, name="report:weekly_executive")
cron.register(run_schedule, "alerts", cron="*/15 * * * *", name="alerts:schedule")
