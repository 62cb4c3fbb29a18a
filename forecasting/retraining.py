"""Starting a retraining from the app or the shell: the command that checks its actor.

The job machinery is ``forecasting.jobs.enqueue_training``; the nightly schedule calls it
directly as the scheduler. A person starts one through ``start_training``, data scientists
and up, recorded as the jobs' ``requested_by``; while a training of the same groups is queued
or running, another is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from db.roles import Actor
from forecasting import store
from forecasting.errors import ForecastingError
from forecasting.job_watch import reconcile
from forecasting.job_watch import unserved_jobs
from forecasting.jobs import GROUPS
from forecasting.jobs import enqueue_training

NO_WORKER = "no worker is running to take them: start one with `channelperf worker jobs`"


def start_training(
    actor: Actor, groups: Sequence[str] | None = None, in_background: bool = False, **params
) -> list[int]:
    """Queue a retraining of ``groups`` (default: every group); returns the job ids. Without a
    job queue the jobs run in this process, ``in_background`` in a thread of their own."""
    actor.require("data_scientist", "start model training")
    _refuse_while_active(list(groups or GROUPS))
    return enqueue_training(groups, requested_by=actor.name, in_background=in_background, **params)


def _refuse_while_active(groups: list[str]) -> None:
    """ForecastingError naming the jobs of ``groups`` still queued or running (after
    reconciling, so a job RQ has given up on does not block a new training forever)."""
    reconcile()
    active = store.list_jobs(limit=500, active_only=True)
    active = active[active["series_group"].isin(groups)].sort_values("id")
    if active.empty:
        return
    ids = [int(job_id) for job_id in active["id"]]
    jobs = f"job{'s' if len(ids) > 1 else ''} {', '.join(map(str, ids))}"
    status = "running" if (active["status"] == "running").any() else "queued"
    if set(ids) & set(unserved_jobs()):
        advice = f", but {NO_WORKER}"
    else:
        advice = ": start another once it has ended"
    raise ForecastingError(f"a training is already {status} ({jobs}){advice}")


def started_message(ids: Sequence[int], url: str | None = None) -> str:
    """What a person who started ``ids`` is told: queued for a worker, training in this server
    (no job queue configured), or, when they ran before ``start_training`` returned, how each
    one ended."""
    jobs = [store.get_job(job_id, url) for job_id in ids]
    listed = ", ".join(str(job_id) for job_id in ids)
    if any(job["status"] in store.ACTIVE and job["rq_job_id"] for job in jobs):
        if set(ids) & set(unserved_jobs(url=url)):
            return f"Training jobs {listed} queued, but {NO_WORKER}."
        return f"Training jobs {listed} queued: their progress shows above."
    if any(job["status"] in store.ACTIVE for job in jobs):
        return (
            f"Training jobs {listed} started in this server, one after another (no job queue "
            "configured): their progress shows above."
        )
    ended = ", ".join(f"{job['id']} {job['status']}" for job in jobs)
    return f"Training ran here, with no job queue configured: jobs {ended}."
